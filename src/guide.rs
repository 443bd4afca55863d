//! # The guide
//!
#![doc = include_str!("../docs/guide/index.md")]

/// 1. The typed state, its update type, and how each field merges.
pub mod state_and_reducers {
    #![doc = include_str!("../docs/guide/state_and_reducers.md")]
}

/// 2. Async functions of the state, their context, errors and resources.
pub mod nodes {
    #![doc = include_str!("../docs/guide/nodes.md")]
}

/// 3. Static edges, conditional routes, fan-out, joins.
pub mod edges_and_routes {
    #![doc = include_str!("../docs/guide/edges_and_routes.md")]
}

/// 4. What runs together, and in which order updates apply.
pub mod super_steps {
    #![doc = include_str!("../docs/guide/super_steps.md")]
}

/// 5. A run's memory by thread id: resuming, history, time travel.
pub mod checkpoints_and_threads {
    #![doc = include_str!("../docs/guide/checkpoints_and_threads.md")]
}

/// 6. Stopping for a human, and resuming with a value or an approval.
pub mod interrupts {
    #![doc = include_str!("../docs/guide/interrupts.md")]
}

/// 7. Retry, timeout, breaker, degrade, optional, fallback, saga, budgets, loops.
pub mod policies {
    #![doc = include_str!("../docs/guide/policies.md")]
}

/// 8. Memory and sled, durability modes, pruning.
pub mod stores {
    #![doc = include_str!("../docs/guide/stores.md")]
}

/// 9. Many runs in one process, and beyond one process.
pub mod scaling_out {
    #![doc = include_str!("../docs/guide/scaling_out.md")]
}

//! The benchmark's state and graphs, as ../shared/bench/langgraph/README.md
//! defines them: `count` keeps the last value written, `log` appends.

use std::sync::atomic::{AtomicU64, Ordering};

use stategraph::prelude::*;

/// Every user-node execution, so a job can check that it ran exactly the
/// steps it reports (that a join ran once, that nothing ran twice).
pub(crate) static NODE_RUNS: AtomicU64 = AtomicU64::new(0);

/// The executions counted so far.
pub(crate) fn node_runs() -> u64 {
    NODE_RUNS.load(Ordering::Relaxed)
}

/// The workloads' state.
#[derive(State, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counter {
    /// A plain last-value channel.
    pub count: i64,
    /// Appended to by every node.
    #[reducer(append)]
    pub log: Vec<String>,
}

/// `counting_node(name)`'s update on `state`: `count + 1`, `[name]` appended.
pub(crate) fn counting(state: &Counter, name: &str) -> CounterUpdate {
    CounterUpdate::default().count(state.count + 1).log(vec![name.to_owned()])
}

/// A node running [`counting`] under its own name.
fn counting_node(
    name: String,
) -> impl Fn(&Counter) -> std::future::Ready<NodeResult<CounterUpdate>> + std::marker::Send + Sync + 'static {
    move |state: &Counter| {
        NODE_RUNS.fetch_add(1, Ordering::Relaxed);
        std::future::ready(Ok(counting(state, &name)))
    }
}

/// The names `n0..n{len-1}`.
pub(crate) fn chain_names(len: usize) -> Vec<String> {
    (0..len).map(|i| format!("n{i}")).collect()
}

/// `START → n0 → … → n{len-1} → END`, unconfigured (the caller compiles it,
/// so it can add interrupts).
pub(crate) fn chain(len: usize) -> StateGraph<Counter> {
    let names = chain_names(len);
    let mut graph = StateGraph::new();
    for name in &names {
        graph = graph.add_node(name.clone(), counting_node(name.clone()));
    }
    graph = graph.add_edge(START, names[0].as_str());
    for pair in names.windows(2) {
        graph = graph.add_edge(pair[0].as_str(), pair[1].as_str());
    }
    graph.add_edge(names[len - 1].as_str(), END)
}

/// W3: `START → split`, `split → w<i>` and `w<i> → join` for 100 workers
/// (100 separate edges into `join`), `join → END`.
pub(crate) fn fanout(workers: usize) -> StateGraph<Counter> {
    let mut graph = StateGraph::new()
        .add_node("split", |_: &Counter| {
            NODE_RUNS.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Ok(CounterUpdate::default()))
        })
        .add_node("join", |state: &Counter| {
            NODE_RUNS.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Ok(CounterUpdate::default().count(state.log.len() as i64)))
        })
        .add_edge(START, "split")
        .add_edge("join", END);
    for i in 0..workers {
        let name = format!("w{i}");
        let entry = name.clone();
        graph = graph
            .add_node(name.clone(), move |_: &Counter| {
                NODE_RUNS.fetch_add(1, Ordering::Relaxed);
                std::future::ready(Ok(CounterUpdate::default().log(vec![entry.clone()])))
            })
            .add_edge("split", name.as_str())
            .add_edge(name.as_str(), "join");
    }
    graph
}

/// Where W4's `step` goes next.
#[derive(Route)]
#[route(state = Counter)]
pub(crate) enum Loop {
    /// Again, while `count < N`.
    #[to("step")]
    Again,
    /// Done.
    #[to(END)]
    Done,
}

/// W4: one node `step` looping on itself until `count == n`.
pub(crate) fn looping(n: i64) -> StateGraph<Counter> {
    StateGraph::new()
        .add_node("step", counting_node("step".to_owned()))
        .add_edge(START, "step")
        .add_conditional_edges("step", move |state: &Counter| if state.count < n { Loop::Again } else { Loop::Done })
}

/// Whether `state` is a finished chain of `len` nodes.
pub(crate) fn is_full_chain(state: &Counter, names: &[String]) -> bool {
    state.count == names.len() as i64 && state.log == names
}

//! The worker pool: bounded queue with a clear refusal when full, breakers
//! shared across runs, saturation at ten times the normal volume, and a
//! graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use stategraph::exec::{Engine, EngineConfig, EngineError};
use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Job {
    fail: bool,
    #[reducer(append)]
    log: Vec<String>,
}

/// `work` waits `pause` (on tokio's clock), then fails when asked to.
fn graph(pause: Duration, calls: Arc<AtomicU32>) -> CompiledGraph<Job> {
    StateGraph::new()
        .add_node("work", move |job: &Job| {
            calls.fetch_add(1, Ordering::SeqCst);
            let fail = job.fail;
            async move {
                tokio::time::sleep(pause).await;
                if fail {
                    Err(NodeError::transient("service down"))
                } else {
                    Ok(JobUpdate::default().log(vec!["done".into()]))
                }
            }
        })
        .add_edge(START, "work")
        .add_edge("work", END)
        .breaker("work", "service")
        .compile()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn saturation_ten_times_the_volume_completes_or_is_refused_clearly() {
    let calls = Arc::new(AtomicU32::new(0));
    let graph = graph(Duration::from_millis(100), calls.clone()).with_checkpointer(MemorySaver::new());
    let engine = Engine::new(graph.clone(), EngineConfig { workers: 4, queue: 16 });
    let (mut accepted, mut refused) = (Vec::new(), 0);
    for i in 0..200 {
        match engine.submit(format!("t{i}"), Job::default()) {
            Ok(ticket) => accepted.push(ticket),
            Err(EngineError::QueueFull { capacity, .. }) => {
                assert_eq!(capacity, 16);
                refused += 1;
            }
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    // Nothing ran yet (the workers have not been polled): the queue bounds what is held.
    assert_eq!(accepted.len(), 16, "only the queue's capacity is accepted at once");
    assert_eq!(refused, 184);
    for ticket in accepted {
        assert!(ticket.await.unwrap().is_completed());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 16);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn engine_keeps_workers_busy_and_every_accepted_run_completes() {
    let calls = Arc::new(AtomicU32::new(0));
    let engine = Engine::new(graph(Duration::from_millis(10), calls.clone()), EngineConfig { workers: 4, queue: 8 });
    let mut tickets = Vec::new();
    let mut submitted = 0;
    while submitted < 100 {
        match engine.submit(format!("t{submitted}"), Job::default()) {
            Ok(ticket) => {
                tickets.push(ticket);
                submitted += 1;
            }
            // Backpressure: wait for the workers to take some.
            Err(EngineError::QueueFull { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(other) => panic!("{other}"),
        }
    }
    for ticket in tickets {
        assert_eq!(ticket.await.unwrap().state.log, ["done"]);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 100);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn engine_runs_share_the_graphs_breakers() {
    let calls = Arc::new(AtomicU32::new(0));
    let graph = graph(Duration::ZERO, calls.clone());
    let engine = Engine::new(graph.clone(), EngineConfig { workers: 2, queue: 32 });
    let failing: Vec<_> =
        (0..10).map(|i| engine.submit(format!("f{i}"), Job { fail: true, ..Job::default() }).unwrap()).collect();
    for ticket in failing {
        assert!(matches!(ticket.await.unwrap().outcome, Outcome::Failed { .. }));
    }
    assert_eq!(graph.breakers().state("service"), Some(BreakerState::Open), "five failures opened it for all runs");
    assert_eq!(calls.load(Ordering::SeqCst), 5, "later runs failed fast without calling the service");
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn engine_shutdown_finishes_what_it_accepted_and_refuses_the_rest() {
    let calls = Arc::new(AtomicU32::new(0));
    let engine = Engine::new(
        graph(Duration::from_millis(50), calls.clone()).with_checkpointer(MemorySaver::new()),
        EngineConfig { workers: 2, queue: 4 },
    );
    let tickets: Vec<_> = (0..4).map(|i| engine.submit(format!("t{i}"), Job::default()).unwrap()).collect();
    engine.shutdown().await;
    for ticket in tickets {
        assert!(ticket.await.unwrap().is_completed(), "accepted runs finish before shutdown returns");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

//! Failed and interrupted runs resume from their checkpoint: finished tasks
//! are not run again.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Sum, SumUpdate};
use stategraph::checkpoint::TaskStatus;
use stategraph::prelude::*;

#[derive(Default)]
struct Calls {
    adds: AtomicUsize,
    flaky: AtomicUsize,
    fixed: AtomicBool,
}

fn graph(calls: Arc<Calls>) -> CompiledGraph<Sum> {
    let (a, b) = (calls.clone(), calls);
    StateGraph::new()
        .add_node("add_two", move |_: &Sum| {
            a.adds.fetch_add(1, Ordering::SeqCst);
            async { Ok(SumUpdate { total: Some(2) }) }
        })
        .add_node("flaky", move |_: &Sum| {
            b.flaky.fetch_add(1, Ordering::SeqCst);
            let fixed = b.fixed.load(Ordering::SeqCst);
            async move {
                if fixed { Ok(SumUpdate { total: Some(40) }) } else { Err(NodeError::transient("service down")) }
            }
        })
        .add_edge(START, "add_two")
        .add_edge(START, "flaky")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

#[tokio::test]
async fn a_failed_step_keeps_its_successes_and_resumes_only_the_failed_node() {
    let calls = Arc::new(Calls::default());
    let graph = graph(calls.clone());

    let run = graph.invoke(Sum { total: 0 }, "t").await.unwrap();
    match &run.outcome {
        Outcome::Failed { node, error } => {
            assert_eq!(node, "flaky");
            assert_eq!(error.message, "service down");
            assert_eq!(error.kind, ErrorKind::Transient);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(run.state.total, 2, "the success is applied");

    let snapshot = graph.state("t").await.unwrap();
    assert_eq!(snapshot.values.total, 2);
    assert_eq!(snapshot.next, vec!["flaky"]);
    let flaky = snapshot.tasks.iter().find(|t| t.node == "flaky").unwrap();
    assert_eq!(flaky.status, Some(TaskStatus::Failed));
    assert_eq!(flaky.error.as_ref().map(|e| e.message.as_str()), Some("service down"));
    let add_two = snapshot.tasks.iter().find(|t| t.node == "add_two").unwrap();
    assert_eq!(add_two.status, Some(TaskStatus::Succeeded));

    // Still broken: resuming runs only the failed node again.
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    assert_eq!(calls.adds.load(Ordering::SeqCst), 1);
    assert_eq!(calls.flaky.load(Ordering::SeqCst), 2);

    calls.fixed.store(true, Ordering::SeqCst);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.total, 42);
    assert_eq!(calls.adds.load(Ordering::SeqCst), 1, "the succeeded node never ran again");
    assert_eq!(calls.flaky.load(Ordering::SeqCst), 3);

    let err = graph.resume("t", Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NotResumable { .. }), "{err:?}");
}

#[tokio::test]
async fn resuming_a_thread_that_does_not_exist_is_an_error() {
    let graph = graph(Arc::default());
    let err = graph.resume("nobody", Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NoSuchThread { ref thread } if thread == "nobody"), "{err:?}");
    assert_eq!(err.to_string(), "thread \"nobody\" does not exist");
}

#[tokio::test]
async fn a_panicking_node_is_a_failed_task_not_a_crash() {
    async fn boom(s: &Sum) -> NodeResult<SumUpdate> {
        if s.total == 0 {
            panic!("kaboom");
        }
        Ok(SumUpdate::default())
    }
    let graph = StateGraph::new().add_node("boom", boom).add_edge(START, "boom").compile().unwrap();
    let run = graph.invoke(Sum::default(), "t").await.unwrap();
    match run.outcome {
        Outcome::Failed { node, error } => {
            assert_eq!(node, "boom");
            assert!(error.message.contains("kaboom"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_closure_node_panicking_before_it_returns_its_future_is_a_failed_task_too() {
    let graph = StateGraph::new()
        .add_node("boom", |s: &Sum| {
            if s.total == 0 {
                panic!("no total");
            }
            async { Ok(SumUpdate::default()) }
        })
        .add_edge(START, "boom")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Sum::default(), "t").await.unwrap();
    match run.outcome {
        Outcome::Failed { node, error } => {
            assert_eq!(node, "boom");
            assert_eq!(error.kind, ErrorKind::Permanent);
            assert!(error.message.contains("no total"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
    let letters = graph.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 1, "a failed run is dead-lettered");
    assert_eq!(letters[0].node, "boom");
}

#[tokio::test]
async fn resume_without_a_checkpointer_is_a_clear_error() {
    let graph = StateGraph::new()
        .add_node("n", |_: &Sum| async { Ok(SumUpdate::default()) })
        .add_edge(START, "n")
        .compile()
        .unwrap();
    let err = graph.resume("t", Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NoCheckpointer { .. }));
    assert!(err.to_string().contains("with_checkpointer"), "{err}");
}

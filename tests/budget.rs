//! Budgets: each of steps, time and cost stops a run between steps with
//! `BudgetExceeded`, everything so far checkpointed; resumed with a larger
//! budget, the run goes on from there and completes, no node run twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Work {
    #[reducer(append)]
    log: Vec<String>,
}

/// `n0 -> .. -> n{len-1}`: each node logs its name, reports `cost`, sleeps
/// `pause`, and counts its runs.
fn chain(len: usize, cost: f64, pause: Duration, runs: Arc<AtomicU32>) -> StateGraph<Work> {
    let mut graph = StateGraph::new();
    for i in 0..len {
        let (name, runs) = (format!("n{i}"), runs.clone());
        graph = graph.add_node(name.clone(), move |_: &Work, ctx: &Ctx| {
            runs.fetch_add(1, Ordering::SeqCst);
            ctx.add_cost(cost);
            ctx.add_tokens(100);
            let entry = name.clone();
            async move {
                tokio::time::sleep(pause).await;
                Ok(WorkUpdate::default().log(vec![entry]))
            }
        });
    }
    graph = graph.add_edge(START, "n0");
    for i in 1..len {
        graph = graph.add_edge(format!("n{}", i - 1), format!("n{i}"));
    }
    graph.add_edge(format!("n{}", len - 1), END)
}

fn exceeded(outcome: &Outcome) -> (BudgetKind, f64, f64) {
    match outcome {
        Outcome::BudgetExceeded { budget, used, limit } => (*budget, *used, *limit),
        other => panic!("expected BudgetExceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn budget_steps_stop_a_run_and_a_larger_budget_completes_it() {
    let runs = Arc::new(AtomicU32::new(0));
    let graph = chain(5, 0.0, Duration::ZERO, runs.clone())
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
        .with_budget(Budget::new().steps(2));
    let run = graph.invoke(Work::default(), "t").await.unwrap();
    assert_eq!(exceeded(&run.outcome), (BudgetKind::Steps, 2.0, 2.0));
    assert_eq!(run.state.log, ["n0", "n1"]);
    assert_eq!(graph.state("t").await.unwrap().next, ["n2"], "the partial run is checkpointed");

    let same = graph.resume("t", Resume::new()).await.unwrap();
    assert!(matches!(same.outcome, Outcome::BudgetExceeded { .. }), "the same budget runs nothing more");
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    let run = graph.run("t").budget(Budget::new().steps(10)).resume(Resume::new()).await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["n0", "n1", "n2", "n3", "n4"]);
    assert_eq!(runs.load(Ordering::SeqCst), 5, "no node ran twice");
}

#[tokio::test]
async fn budget_cost_reported_through_ctx_stops_a_run_and_the_count_survives_a_resume() {
    let runs = Arc::new(AtomicU32::new(0));
    let saver: Arc<dyn Checkpointer> = Arc::new(MemorySaver::new());
    let graph = chain(10, 0.4, Duration::ZERO, runs.clone()).compile().unwrap().with_shared_checkpointer(saver.clone());
    let run = graph.run("t").budget(Budget::new().cost(1.0)).invoke(Work::default()).await.unwrap();
    let (budget, used, limit) = exceeded(&run.outcome);
    assert_eq!((budget, limit), (BudgetKind::Cost, 1.0));
    assert!((used - 1.2).abs() < 1e-9, "three nodes at 0.4: {used}");
    assert_eq!(run.state.log.len(), 3);

    // Another graph on the same store (as after a restart): the cost so far
    // is in the checkpoint, so a budget of 2.0 allows two more nodes.
    let again = chain(10, 0.4, Duration::ZERO, runs.clone()).compile().unwrap().with_shared_checkpointer(saver);
    let run = again.run("t").budget(Budget::new().cost(2.0)).resume(Resume::new()).await.unwrap();
    let (_, used, _) = exceeded(&run.outcome);
    assert!((used - 2.0).abs() < 1e-9, "{used}");
    assert_eq!(run.state.log.len(), 5);

    let run = again.run("t").budget(Budget::new().cost(10.0)).resume(Resume::new()).await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log.len(), 10);
    assert_eq!(runs.load(Ordering::SeqCst), 10, "no node ran twice");
}

#[tokio::test]
async fn budget_time_stops_a_run_and_a_larger_budget_completes_it() {
    let runs = Arc::new(AtomicU32::new(0));
    let dir = tempfile::tempdir().unwrap();
    let graph = chain(10, 0.0, Duration::from_millis(20), runs.clone())
        .compile()
        .unwrap()
        .with_checkpointer(SledSaver::open(dir.path()).unwrap());
    // Ten nodes of at least 20 ms each cannot fit in 50 ms.
    let run =
        graph.run("t").budget(Budget::new().time(Duration::from_millis(50))).invoke(Work::default()).await.unwrap();
    let (budget, used, limit) = exceeded(&run.outcome);
    assert_eq!((budget, limit), (BudgetKind::Time, 0.05));
    assert!(used >= 0.05);
    assert!(run.state.log.len() < 10);

    let run = graph.run("t").budget(Budget::new().time(Duration::from_secs(60))).resume(Resume::new()).await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log.len(), 10);
    assert_eq!(runs.load(Ordering::SeqCst), 10, "no node ran twice");
}

#[tokio::test]
async fn budget_a_new_input_starts_a_new_count() {
    let runs = Arc::new(AtomicU32::new(0));
    let graph = chain(2, 0.0, Duration::ZERO, runs)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
        .with_budget(Budget::new().steps(2));
    assert!(graph.invoke(Work::default(), "t").await.unwrap().is_completed());
    assert!(
        graph.invoke(Work::default(), "t").await.unwrap().is_completed(),
        "the finished run's count is not carried"
    );
}

//! Time travel: history, forks with update_state, replay from the past.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Counter, CounterUpdate};
use stategraph::exec::CheckpointSource;
use stategraph::prelude::*;

fn chain(calls: Arc<[AtomicUsize; 3]>) -> CompiledGraph<Counter> {
    let mut g = StateGraph::new();
    for i in 0..3 {
        let calls = calls.clone();
        g = g.add_node(format!("n{i}"), move |s: &Counter| {
            calls[i].fetch_add(1, Ordering::SeqCst);
            let update = CounterUpdate::step(s.count + 1, format!("n{i}"));
            async move { Ok(update) }
        });
    }
    g.add_edge(START, "n0")
        .add_edge("n0", "n1")
        .add_edge("n1", "n2")
        .add_edge("n2", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

#[tokio::test]
async fn history_is_newest_first_and_paginates() {
    let graph = chain(Arc::default());
    graph.invoke(Counter::default(), "t").await.unwrap();
    let all = graph.history("t", HistoryQuery::all()).await.unwrap();
    // The input checkpoint, then one per node.
    assert_eq!(all.len(), 4);
    let counts: Vec<i64> = all.iter().map(|s| s.values.count).collect();
    assert_eq!(counts, vec![3, 2, 1, 0]);
    assert_eq!(all[3].source, CheckpointSource::Input);
    assert_eq!(all[0].source, CheckpointSource::Step);
    assert_eq!(all[0].writers, vec!["n2"]);
    for pair in all.windows(2) {
        assert_eq!(pair[0].parent, Some(pair[1].checkpoint), "every parent link resolves");
        assert!(pair[0].checkpoint > pair[1].checkpoint);
    }

    let page = graph.history("t", HistoryQuery::all().limit(2)).await.unwrap();
    assert_eq!(page.iter().map(|s| s.checkpoint).collect::<Vec<_>>(), vec![all[0].checkpoint, all[1].checkpoint]);
    let next = graph.history("t", HistoryQuery::all().limit(2).before(page[1].checkpoint)).await.unwrap();
    assert_eq!(next.iter().map(|s| s.checkpoint).collect::<Vec<_>>(), vec![all[2].checkpoint, all[3].checkpoint]);
    assert!(graph.history("nobody", HistoryQuery::all()).await.unwrap().is_empty());
}

#[tokio::test]
async fn update_state_on_an_old_checkpoint_forks_and_becomes_the_latest() {
    let graph = chain(Arc::default());
    graph.invoke(Counter::default(), "t").await.unwrap();
    let before = graph.history("t", HistoryQuery::all()).await.unwrap();
    let after_n0 = before.iter().find(|s| s.values.count == 1).unwrap();

    let fork = graph.update_state_at("t", after_n0.checkpoint, CounterUpdate::count(100), None).await.unwrap();
    let latest = graph.state("t").await.unwrap();
    assert_eq!(latest.checkpoint, fork);
    assert_eq!(latest.parent, Some(after_n0.checkpoint));
    assert_eq!(latest.values.count, 100);
    assert_eq!(latest.next, vec!["n1"], "the fork keeps the step that was pending there");
    assert_eq!(latest.source, CheckpointSource::Update { as_node: None });

    let after = graph.history("t", HistoryQuery::all()).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    for old in &before {
        let same = after.iter().find(|s| s.checkpoint == old.checkpoint).unwrap();
        assert_eq!(same.values, old.values, "the old history stays as it was");
    }
    let err = graph.update_state("t", CounterUpdate::count(1), Some("nope")).await.unwrap_err();
    assert!(matches!(err, RunError::UnknownNode { .. }));
}

#[tokio::test]
async fn replay_from_a_past_checkpoint_reruns_only_the_nodes_after_it() {
    let calls: Arc<[AtomicUsize; 3]> = Arc::default();
    let graph = chain(calls.clone());
    graph.invoke(Counter::default(), "t").await.unwrap();
    let before = graph.history("t", HistoryQuery::all()).await.unwrap();
    let after_n0 = before.iter().find(|s| s.values.count == 1).unwrap().checkpoint;

    let run = graph.run("t").from_checkpoint(after_n0).resume(Resume::new()).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.log, vec!["n0", "n1", "n2"]);
    let counts: Vec<usize> = calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(counts, vec![1, 2, 2], "n0 is not replayed; n1 and n2 run again");

    let after = graph.history("t", HistoryQuery::all()).await.unwrap();
    // A fork checkpoint plus one per re-run node.
    assert_eq!(after.len(), before.len() + 3);
    assert_eq!(after[2].source, CheckpointSource::Fork { from: after_n0 });
    for old in &before {
        assert!(after.iter().any(|s| s.checkpoint == old.checkpoint && s.values == old.values));
    }
    let err = graph.run("t").from_checkpoint(CheckpointId::new(999)).resume(Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NoSuchCheckpoint { .. }));
}

//! A join waits for all its sources, across super-steps; an interrupt before
//! its target lets a human edit the state first.

mod common;

use common::{Docs, DocsUpdate};
use stategraph::exec::CheckpointSource;
use stategraph::prelude::*;

async fn rewrite(s: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate { query: Some(format!("query: {}", s.query)), ..Default::default() })
}

async fn analyzer(s: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate { query: Some(format!("analyzed {}", s.query)), ..Default::default() })
}

async fn retriever_one(_: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate { docs: Some(vec!["doc1".into(), "doc2".into()]), ..Default::default() })
}

async fn retriever_two(_: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate { docs: Some(vec!["doc3".into(), "doc4".into()]), ..Default::default() })
}

async fn qa(s: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate { answer: Some(s.docs.join(",")), ..Default::default() })
}

fn graph() -> StateGraph<Docs> {
    StateGraph::new()
        .add_node("rewrite", rewrite)
        .add_node("analyzer", analyzer)
        .add_node("retriever_one", retriever_one)
        .add_node("retriever_two", retriever_two)
        .add_node("qa", qa)
        .add_edge(START, "rewrite")
        .add_edge("rewrite", "analyzer")
        .add_edge("analyzer", "retriever_one")
        .add_edge("rewrite", "retriever_two")
        .add_join(["retriever_one", "retriever_two"], "qa")
        .add_edge("qa", END)
}

fn input() -> Docs {
    Docs { query: "what is a join".into(), ..Default::default() }
}

#[tokio::test]
async fn the_join_target_runs_once_after_sources_finishing_in_different_steps() {
    let graph = graph().compile().unwrap();
    let run = graph.invoke(input(), "t").await.unwrap();
    assert_eq!(run.state.answer, "doc1,doc2,doc3,doc4");
    // rewrite; analyzer + retriever_two; retriever_one; qa.
    assert_eq!(run.steps, 4);
}

#[tokio::test]
async fn update_state_before_the_join_target_adds_a_fifth_doc() {
    let graph = graph().interrupt_before(["qa"]).compile().unwrap().with_checkpointer(MemorySaver::new());
    let run = graph.invoke(input(), "t").await.unwrap();
    assert_eq!(run.interrupts().len(), 1);
    assert_eq!(run.interrupts()[0].node, "qa");
    assert_eq!(run.state.answer, "");

    let snapshot = graph.state("t").await.unwrap();
    assert_eq!(snapshot.next, vec!["qa"]);
    assert_eq!(snapshot.values.docs.len(), 4);

    let fifth = DocsUpdate { docs: Some(vec!["doc5".into()]), ..Default::default() };
    let id = graph.update_state("t", fifth, Some("retriever_one")).await.unwrap();
    let snapshot = graph.state("t").await.unwrap();
    assert_eq!(snapshot.checkpoint, id);
    assert_eq!(snapshot.source, CheckpointSource::Update { as_node: Some("retriever_one".into()) });
    assert_eq!(snapshot.next, vec!["qa"], "the pending qa stays; retriever_one alone does not fire the join");
    assert_eq!(snapshot.values.docs, vec!["doc1", "doc2", "doc3", "doc4", "doc5"]);

    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.answer, "doc1,doc2,doc3,doc4,doc5");
}

#[tokio::test]
async fn a_join_waiting_across_a_restart_keeps_its_arrived_sources() {
    // Stop after retriever_two ran but before retriever_one did: the join has
    // one source in, recorded in the checkpoint, not in memory.
    let saver = std::sync::Arc::new(MemorySaver::new());
    let first = graph().compile().unwrap().with_shared_checkpointer(saver.clone());
    let run = first.run("t").interrupt_after(["retriever_two"]).invoke(input()).await.unwrap();
    assert!(matches!(run.outcome, Outcome::Interrupted { .. }));
    drop(first);
    let second = graph().compile().unwrap().with_shared_checkpointer(saver);
    let run = second.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.state.answer, "doc1,doc2,doc3,doc4");
}

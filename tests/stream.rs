//! A run as a stream of events, in the order things happen.

mod common;

use common::{Counter, CounterUpdate};
use futures::StreamExt;
use stategraph::prelude::*;

async fn a(s: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(s.count + 1, "a"))
}

async fn b(s: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(s.count + 1, "b"))
}

#[tokio::test]
async fn events_follow_the_run() {
    let graph = StateGraph::new()
        .add_node("a", a)
        .add_node("b", b)
        .add_edge(START, "a")
        .add_edge("a", "b")
        .add_edge("b", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let events: Vec<_> = graph.stream(Counter::default(), "t").collect().await;
    let names: Vec<String> = events
        .iter()
        .map(|e| match e.as_ref().unwrap() {
            Event::StepStarted { step, .. } => format!("step {step}"),
            Event::NodeStarted { node, .. } => format!("start {node}"),
            Event::NodeFinished { node, update, .. } => format!("finish {node} count={:?}", update.count),
            Event::CheckpointSaved { step, .. } => format!("checkpoint {step}"),
            Event::Finished(run) => format!("finished {:?} {}", run.outcome, run.state.count),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "checkpoint 0",
            "step 1",
            "start a",
            "finish a count=Some(1)",
            "checkpoint 1",
            "step 2",
            "start b",
            "finish b count=Some(2)",
            "checkpoint 2",
            "finished Completed 2",
        ]
    );
}

#[tokio::test]
async fn a_failing_stream_ends_with_the_error() {
    let graph =
        StateGraph::new().add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b").compile().unwrap();
    let events: Vec<_> = graph.run("t").step_limit(1).stream(Counter::default()).collect().await;
    assert!(matches!(events.last(), Some(Err(RunError::StepLimit { .. }))));
    assert!(events.iter().any(|e| matches!(e, Ok(Event::NodeFinished { .. }))));
}

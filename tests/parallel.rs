//! Tasks of one super-step: their writes merge through the reducers, in task
//! order; two writes of one last-value field are a conflict.

mod common;

use common::{Counter, CounterUpdate, Numbers, NumbersUpdate};
use stategraph::graph::{Branch, Selected};
use stategraph::prelude::*;

async fn left(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(1, "left"))
}

async fn right(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(2, "right"))
}

async fn left_log(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::log("left"))
}

async fn right_log(_: &Counter) -> NodeResult<CounterUpdate> {
    // Finishes later than `left_log`: order must not depend on completion.
    tokio::task::yield_now().await;
    Ok(CounterUpdate::log("right"))
}

#[tokio::test]
async fn two_parallel_writes_of_a_last_value_field_are_a_conflict_naming_field_and_nodes() {
    let graph = StateGraph::new()
        .add_node("left", left)
        .add_node("right", right)
        .add_edge(START, "left")
        .add_edge(START, "right")
        .compile()
        .unwrap();
    let err = graph.invoke(Counter::default(), "t").await.unwrap_err();
    match &err {
        RunError::Conflict { field, first, second, .. } => {
            assert_eq!((*field, first.as_str(), second.as_str()), ("count", "left", "right"));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("count") && message.contains("left") && message.contains("right"), "{message}");
}

#[tokio::test]
async fn two_parallel_appends_keep_both_values_in_task_order() {
    // `right_log` is added first, so it is task 0 of the step, whatever
    // finishes first.
    let graph = StateGraph::new()
        .add_node("right_log", right_log)
        .add_node("left_log", left_log)
        .add_edge(START, "left_log")
        .add_edge(START, "right_log")
        .compile()
        .unwrap();
    for _ in 0..20 {
        let run = graph.invoke(Counter::default(), "t").await.unwrap();
        assert_eq!(run.state.log, vec!["left", "right"]);
    }
}

// Fan-out: node `one` sends two tasks of `two`, each with its own input;
// `two` goes on to `three`, which runs once.

struct Twice;

impl Route<Numbers> for Twice {
    fn branches() -> Vec<Branch<Numbers>> {
        vec![Branch::new("Twice", ["two"])]
    }
    fn select(self) -> Selected<Numbers> {
        Selected::send(0, vec![Numbers { log: vec![10] }, Numbers { log: vec![20] }])
    }
}

async fn one(_: &Numbers) -> NodeResult<NumbersUpdate> {
    Ok(NumbersUpdate::push(1))
}

async fn two(input: &Numbers) -> NodeResult<NumbersUpdate> {
    // Each task reads its own input, not the shared state.
    assert!(input.log == [10] || input.log == [20], "{input:?}");
    Ok(NumbersUpdate::push(2))
}

async fn three(_: &Numbers) -> NodeResult<NumbersUpdate> {
    Ok(NumbersUpdate::push(3))
}

#[tokio::test]
async fn fan_out_sends_two_tasks_and_fans_in_to_one() {
    let graph = StateGraph::new()
        .add_node("one", one)
        .add_node("two", two)
        .add_node("three", three)
        .add_edge(START, "one")
        .add_conditional_edges("one", |_: &Numbers| Twice)
        .add_edge("two", "three")
        .add_edge("three", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Numbers { log: vec![0] }, "fan").await.unwrap();
    assert_eq!(run.state.log, vec![0, 1, 2, 2, 3]);
    assert_eq!(run.steps, 3);
    // The fan-out survives a checkpoint: replaying the step of `two` from
    // history rebuilds both tasks with their inputs.
    let history = graph.history("fan", HistoryQuery::all()).await.unwrap();
    let before_two = history.iter().find(|s| s.next == ["two", "two"]).expect("the fan-out step");
    assert_eq!(before_two.values.log, vec![0, 1]);
}

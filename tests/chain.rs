//! A chain of nodes: values flow through, the step limit stops runaway runs.

mod common;

use common::{Sum, SumUpdate};
use stategraph::prelude::*;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Value {
    value: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ValueUpdate {
    value: Option<i64>,
}

impl State for Value {
    type Update = ValueUpdate;
    fn apply(&mut self, u: ValueUpdate) {
        stategraph::state::set(&mut self.value, u.value);
    }
    fn exclusive_writes(u: &ValueUpdate, write: &mut dyn FnMut(&'static str)) {
        if u.value.is_some() {
            write("value");
        }
    }
    fn into_update(self) -> ValueUpdate {
        ValueUpdate { value: Some(self.value) }
    }
}

async fn plus_one(s: &Value) -> NodeResult<ValueUpdate> {
    Ok(ValueUpdate { value: Some(s.value + 1) })
}

fn chain(n: usize) -> StateGraph<Value> {
    let mut g = StateGraph::new();
    for i in 0..n {
        g = g.add_node(format!("n{i}"), plus_one);
    }
    g = g.add_edge(START, "n0");
    for i in 1..n {
        g = g.add_edge(format!("n{}", i - 1), format!("n{i}"));
    }
    g.add_edge(format!("n{}", n - 1), END)
}

#[tokio::test]
async fn two_plus_one_nodes_turn_two_into_four() {
    let graph = chain(2).compile().unwrap();
    let run = graph.invoke(Value { value: 2 }, "t").await.unwrap();
    assert_eq!(run.state.value, 4);
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.steps, 2);
}

#[tokio::test]
async fn a_step_limit_of_one_stops_a_two_node_chain_with_an_error_naming_the_limit() {
    let graph = chain(2).compile().unwrap().with_step_limit(1);
    let err = graph.invoke(Value { value: 2 }, "t").await.unwrap_err();
    assert!(matches!(err, RunError::StepLimit { limit: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("step limit of 1"), "{err}");
}

#[tokio::test]
async fn a_hundred_node_chain_fits_a_limit_of_a_hundred() {
    let graph = chain(100).compile().unwrap();
    let run = graph.run("t").step_limit(100).invoke(Value { value: 0 }).await.unwrap();
    assert_eq!(run.state.value, 100);
    assert_eq!(run.steps, 100);
    let err = graph.run("t2").step_limit(99).invoke(Value { value: 0 }).await.unwrap_err();
    assert!(matches!(err, RunError::StepLimit { limit: 99, .. }));
}

#[tokio::test]
async fn a_run_stopped_by_the_step_limit_resumes_with_a_larger_one() {
    let graph = chain(3).compile().unwrap().with_checkpointer(MemorySaver::new());
    let err = graph.run("t").step_limit(2).invoke(Value { value: 0 }).await.unwrap_err();
    assert!(matches!(err, RunError::StepLimit { .. }));
    assert_eq!(graph.state("t").await.unwrap().next, vec!["n2"]);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!((run.state.value, run.outcome), (3, Outcome::Completed));
}

#[tokio::test]
async fn invoking_a_thread_with_state_merges_the_input_through_the_reducers() {
    async fn add_ten(_: &Sum) -> NodeResult<SumUpdate> {
        Ok(SumUpdate { total: Some(10) })
    }
    let graph = StateGraph::new()
        .add_node("add_ten", add_ten)
        .add_edge(START, "add_ten")
        .add_edge("add_ten", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    assert_eq!(graph.invoke(Sum { total: 1 }, "t").await.unwrap().state.total, 11);
    // The thread has 11; the new input adds 5, the node 10 more.
    assert_eq!(graph.invoke(Sum { total: 5 }, "t").await.unwrap().state.total, 26);
    let run = graph.invoke(Input::Update(SumUpdate { total: Some(1) }), "t").await.unwrap();
    assert_eq!(run.state.total, 37);
    let err = graph.invoke(Input::Update(SumUpdate { total: Some(1) }), "fresh").await.unwrap_err();
    assert!(matches!(err, RunError::UpdateNeedsState { .. }));
}

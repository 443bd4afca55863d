//! Human in the loop: interrupt_before / interrupt_after and ctx.interrupt.

mod common;

use common::{Counter, CounterUpdate};
use serde_json::json;
use stategraph::node::InterruptKind;
use stategraph::prelude::*;

async fn step_1(s: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(s.count + 1, "step_1"))
}
async fn step_2(s: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(s.count + 1, "step_2"))
}
async fn step_3(s: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::step(s.count + 1, "step_3"))
}

fn three_steps() -> StateGraph<Counter> {
    StateGraph::new()
        .add_node("step_1", step_1)
        .add_node("step_2", step_2)
        .add_node("step_3", step_3)
        .add_edge(START, "step_1")
        .add_edge("step_1", "step_2")
        .add_edge("step_2", "step_3")
        .add_edge("step_3", END)
}

#[tokio::test]
async fn interrupt_after_every_node_stops_after_each_one() {
    let graph = three_steps()
        .interrupt_after(["step_1", "step_2", "step_3"])
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());

    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert_eq!(run.interrupts()[0].kind, InterruptKind::After);
    assert_eq!(run.state.log, vec!["step_1"]);
    assert_eq!(graph.state("t").await.unwrap().next, vec!["step_2"]);

    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.state.log, vec!["step_1", "step_2"]);
    assert_eq!(graph.state("t").await.unwrap().next, vec!["step_3"]);

    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert!(matches!(run.outcome, Outcome::Interrupted { .. }), "stops after the last node too");
    assert_eq!(run.state.log, vec!["step_1", "step_2", "step_3"]);
    assert!(graph.state("t").await.unwrap().next.is_empty());

    let err = graph.resume("t", Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NotResumable { .. }));
}

#[tokio::test]
async fn interrupt_before_an_entry_node_stops_before_anything_runs() {
    let graph = three_steps().compile().unwrap().with_checkpointer(MemorySaver::new());
    let run = graph.run("t").interrupt_before(["step_1"]).invoke(Counter::default()).await.unwrap();
    assert_eq!(run.interrupts()[0].kind, InterruptKind::Before);
    assert!(run.state.log.is_empty());
    let snapshot = graph.state("t").await.unwrap();
    assert_eq!(snapshot.next, vec!["step_1"]);
    assert_eq!(snapshot.interrupts.len(), 1);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.state.count, 3);
}

#[tokio::test]
async fn an_unknown_node_in_a_runs_interrupt_list_is_an_error() {
    let graph = three_steps().compile().unwrap();
    let err = graph.run("t").interrupt_before(["stp_2"]).invoke(Counter::default()).await.unwrap_err();
    assert!(matches!(err, RunError::UnknownNode { ref node, .. } if node == "stp_2"), "{err:?}");
}

async fn ask_name_and_age(s: &Counter, ctx: &Ctx) -> NodeResult<CounterUpdate> {
    let name: String = ctx.interrupt(json!({ "question": "name?" }))?;
    let age: i64 = ctx.interrupt(json!({ "question": "age?" }))?;
    Ok(CounterUpdate::step(s.count + age, name))
}

#[tokio::test]
async fn ctx_interrupt_returns_resume_values_in_call_order() {
    let graph = StateGraph::new()
        .add_node("ask", ask_name_and_age)
        .add_edge(START, "ask")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());

    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    let first = &run.interrupts()[0];
    assert_eq!(first.node, "ask");
    assert_eq!(first.kind, InterruptKind::Node { payload: json!({ "question": "name?" }) });

    let run = graph.resume("t", Resume::value("Ada")).await.unwrap();
    let second = &run.interrupts()[0];
    assert_eq!(second.kind, InterruptKind::Node { payload: json!({ "question": "age?" }) });
    assert_ne!(first.id, second.id);

    let err = graph.resume("t", Resume::new().to("no-such-id", 1)).await.unwrap_err();
    assert!(matches!(err, RunError::UnknownInterrupt { .. }), "{err:?}");

    let run = graph.resume("t", Resume::new().to(second.id.clone(), 36)).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!((run.state.count, run.state.log), (36, vec!["Ada".to_string()]));
}

async fn ask_a(_: &Counter, ctx: &Ctx) -> NodeResult<CounterUpdate> {
    let answer: String = ctx.interrupt("a?")?;
    Ok(CounterUpdate::log(answer))
}

async fn ask_b(_: &Counter, ctx: &Ctx) -> NodeResult<CounterUpdate> {
    let answer: String = ctx.interrupt("b?")?;
    Ok(CounterUpdate::log(answer))
}

#[tokio::test]
async fn parallel_interrupts_must_be_resumed_by_id() {
    let graph = StateGraph::new()
        .add_node("ask_a", ask_a)
        .add_node("ask_b", ask_b)
        .add_edge(START, "ask_a")
        .add_edge(START, "ask_b")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    let ids: Vec<_> = run.interrupts().iter().map(|i| (i.node.clone(), i.id.clone())).collect();
    assert_eq!(ids.len(), 2);

    let err = graph.resume("t", Resume::value("x")).await.unwrap_err();
    match &err {
        RunError::AmbiguousResume { pending, .. } => assert_eq!(pending.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(ids[0].1.as_str()), "{err}");

    let resume = Resume::new().to(ids[0].1.clone(), "answer-a").to(ids[1].1.clone(), "answer-b");
    let run = graph.resume("t", resume).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.log, vec!["answer-a", "answer-b"]);
}

#[tokio::test]
async fn a_resume_value_with_no_node_waiting_is_an_error() {
    let graph = three_steps().interrupt_after(["step_1"]).compile().unwrap().with_checkpointer(MemorySaver::new());
    graph.invoke(Counter::default(), "t").await.unwrap();
    let err = graph.resume("t", Resume::value(1)).await.unwrap_err();
    assert!(matches!(err, RunError::UnexpectedResumeValue { .. }), "{err:?}");
}

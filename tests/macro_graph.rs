//! The core acceptance scenarios written with the macros, as a user would:
//! `#[derive(State)]` states, `#[node]` functions wired by name as Rust items,
//! and `#[derive(Route)]` routers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use stategraph::prelude::*;

// ---- Fan-out and fan-in with a `Send` variant -------------------------------

#[derive(State, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Numbers {
    #[reducer(append)]
    log: Vec<i64>,
}

#[node]
async fn one(_: &Numbers) -> NodeResult<NumbersUpdate> {
    Ok(NumbersUpdate::default().log(vec![1]))
}

#[node]
async fn two(input: &Numbers) -> NodeResult<NumbersUpdate> {
    // Each task reads its own input, not the shared state.
    assert!(input.log == [10] || input.log == [20], "{input:?}");
    Ok(NumbersUpdate::default().log(vec![2]))
}

#[node]
async fn three(_: &Numbers) -> NodeResult<NumbersUpdate> {
    Ok(NumbersUpdate::default().log(vec![3]))
}

#[derive(Route)]
enum Spread {
    /// One task of `two` per input.
    #[to(two)]
    Each(Vec<Numbers>),
    #[to(END)]
    Nothing,
}

fn spread(s: &Numbers) -> Spread {
    if s.log.is_empty() {
        Spread::Nothing
    } else {
        Spread::Each(vec![Numbers { log: vec![10] }, Numbers { log: vec![20] }])
    }
}

fn fan_out() -> CompiledGraph<Numbers> {
    StateGraph::new()
        .add_edge(START, one)
        .add_conditional_edges(one, spread)
        .add_edge(two, three)
        .add_edge(three, END)
        .compile()
        .unwrap()
}

#[tokio::test]
async fn a_send_variant_fans_out_one_task_per_input_and_fans_in_to_one() {
    let run = fan_out().invoke(Numbers { log: vec![0] }, "fan").await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.log, vec![0, 1, 2, 2, 3]);
    assert_eq!(run.steps, 3);
}

// ---- A join across super-steps ------------------------------------------------

fn sorted_append(current: &mut Vec<String>, new: Vec<String>) {
    current.extend(new);
    current.sort();
}

#[derive(State, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Docs {
    query: String,
    #[reducer(with = sorted_append)]
    docs: Vec<String>,
    answer: String,
}

#[node]
async fn rewrite(s: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate::default().query(format!("query: {}", s.query)))
}

#[node]
async fn analyzer(s: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate::default().query(format!("analyzed {}", s.query)))
}

#[node]
async fn retriever_one(_: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate::default().docs(vec!["doc2".into(), "doc1".into()]))
}

#[node]
async fn retriever_two(_: &Docs) -> NodeResult<DocsUpdate> {
    Ok(DocsUpdate::default().docs(vec!["doc4".into(), "doc3".into()]))
}

#[node]
async fn qa(s: &Docs, ctx: &Ctx) -> NodeResult<DocsUpdate> {
    let _ = ctx;
    Ok(DocsUpdate::default().answer(s.docs.join(",")))
}

#[tokio::test]
async fn the_join_target_runs_once_after_sources_finishing_in_different_steps() {
    let graph = StateGraph::new()
        .add_edge(START, rewrite)
        .add_edge(rewrite, analyzer)
        .add_edge(analyzer, retriever_one)
        .add_edge(rewrite, retriever_two)
        .add_join((retriever_one, retriever_two), qa)
        .add_edge(qa, END)
        .compile()
        .unwrap();
    let run = graph.invoke(Docs { query: "what is a join".into(), ..Default::default() }, "t").await.unwrap();
    assert_eq!(run.state.answer, "doc1,doc2,doc3,doc4");
    assert_eq!(run.state.query, "analyzed query: what is a join");
    // rewrite; analyzer + retriever_two; retriever_one; qa.
    assert_eq!(run.steps, 4);
}

// ---- Two writes of a last-value field in one step ----------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Counter {
    count: i64,
    #[reducer(append)]
    log: Vec<String>,
}

#[node]
async fn left(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::default().count(1).log(vec!["left".into()]))
}

#[node]
async fn right(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::default().count(2).log(vec!["right".into()]))
}

#[tokio::test]
async fn a_derived_last_value_field_written_twice_in_a_step_is_a_conflict() {
    let graph = StateGraph::new().add_edge(START, left).add_edge(START, right).compile().unwrap();
    let err = graph.invoke(Counter::default(), "t").await.unwrap_err();
    match err {
        RunError::Conflict { field, first, second, .. } => {
            assert_eq!((field, first.as_str(), second.as_str()), ("count", "left", "right"));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

// ---- Resume after a failing node ----------------------------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Sum {
    #[reducer(add)]
    total: i64,
}

static ADDS: AtomicUsize = AtomicUsize::new(0);
static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);
static FIXED: AtomicBool = AtomicBool::new(false);

#[node]
async fn add_two(_: &Sum) -> NodeResult<SumUpdate> {
    ADDS.fetch_add(1, Ordering::SeqCst);
    Ok(SumUpdate::default().total(2))
}

#[node]
async fn flaky(_: &Sum, _: &Ctx) -> NodeResult<SumUpdate> {
    FLAKY_CALLS.fetch_add(1, Ordering::SeqCst);
    if FIXED.load(Ordering::SeqCst) {
        Ok(SumUpdate::default().total(40))
    } else {
        Err(NodeError::transient("service down"))
    }
}

#[tokio::test]
async fn a_failed_node_resumes_alone_and_its_sibling_never_runs_again() {
    let graph = StateGraph::new()
        .add_edge(START, add_two)
        .add_edge(START, flaky)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());

    let run = graph.invoke(Sum::default(), "t").await.unwrap();
    match &run.outcome {
        Outcome::Failed { node, error } => {
            assert_eq!(node, "flaky");
            assert_eq!(error.message, "service down");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(run.state.total, 2, "the sibling's success is applied");

    FIXED.store(true, Ordering::SeqCst);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.state.total, 42);
    assert_eq!(ADDS.load(Ordering::SeqCst), 1, "the succeeded node never ran again");
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 2);
}

// ---- Conditional edges, multi-target branches and DOT labels -----------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Review {
    score: i64,
    #[reducer(append)]
    trail: Vec<String>,
}

#[node]
async fn draft(_: &Review) -> NodeResult<ReviewUpdate> {
    Ok(ReviewUpdate::default().trail(vec!["draft".into()]))
}

#[node(name = "publish now")]
async fn publish(_: &Review) -> NodeResult<ReviewUpdate> {
    Ok(ReviewUpdate::default().trail(vec!["publish".into()]))
}

#[node]
async fn notify(_: &Review) -> NodeResult<ReviewUpdate> {
    Ok(ReviewUpdate::default().trail(vec!["notify".into()]))
}

#[derive(Route)]
enum Verdict {
    #[to(publish, notify)]
    Approve,
    #[to(END)]
    Reject,
}

fn verdict(r: &Review) -> Verdict {
    if r.score > 0 { Verdict::Approve } else { Verdict::Reject }
}

fn review() -> CompiledGraph<Review> {
    StateGraph::new()
        .add_edge(START, draft)
        .add_conditional_edges(draft, verdict)
        .add_edge(publish, END)
        .add_edge(notify, END)
        .compile()
        .unwrap()
}

#[tokio::test]
async fn a_route_variant_picks_its_targets() {
    let graph = review();
    let run = graph.invoke(Review { score: 1, ..Default::default() }, "yes").await.unwrap();
    assert_eq!(run.state.trail, ["draft", "publish", "notify"]);
    let run = graph.invoke(Review { score: 0, ..Default::default() }, "no").await.unwrap();
    assert_eq!(run.state.trail, ["draft"]);
}

#[test]
fn dot_labels_conditional_edges_with_the_variant_names() {
    let dot = review().to_dot();
    assert_eq!(dot.matches("style=dashed, label=\"Approve\"").count(), 2, "{dot}");
    assert_eq!(dot.matches("style=dashed, label=\"Reject\"").count(), 1, "{dot}");
    assert!(dot.contains("label=\"publish now\""), "the renamed node: {dot}");
}

#[tokio::test]
async fn a_handle_still_calls_its_function() {
    let update = publish(&Review::default()).await.unwrap();
    assert_eq!(update.trail, Some(vec!["publish".to_string()]));
    let with_ctx = qa(&Docs { docs: vec!["a".into()], ..Default::default() }, &Ctx::detached("t", "qa")).await.unwrap();
    assert_eq!(with_ctx.answer.as_deref(), Some("a"));
}

// ---- A node returning a Command, and a route to a node added by name ---------

#[node]
async fn triage(_: &Review, _: &Ctx) -> NodeResult<Command<Review>> {
    Ok(Command::new(ReviewUpdate::default().trail(vec!["triage".into()])))
}

async fn escalate(_: &Review) -> NodeResult<ReviewUpdate> {
    Ok(ReviewUpdate::default().trail(vec!["escalate".into()]))
}

#[derive(Route)]
#[route(state = Review)]
enum Again {
    #[to("escalate")]
    Escalate,
    #[to(END)]
    Stop,
}

#[tokio::test]
async fn command_nodes_and_named_targets_work_with_the_macros() {
    let graph = StateGraph::new()
        .add_node("escalate", escalate)
        .add_edge(START, triage)
        .add_conditional_edges(triage, |r: &Review| if r.score > 5 { Again::Escalate } else { Again::Stop })
        .add_conditional_edges("escalate", |r: &Review| if r.trail.len() < 3 { Again::Escalate } else { Again::Stop })
        .compile()
        .unwrap();
    let run = graph.invoke(Review { score: 9, ..Default::default() }, "t").await.unwrap();
    assert_eq!(run.state.trail, ["triage", "escalate", "escalate"]);
    let run = graph.invoke(Review { score: 1, ..Default::default() }, "u").await.unwrap();
    assert_eq!(run.state.trail, ["triage"]);
    let dot = graph.to_dot();
    assert!(dot.contains("label=\"Escalate\"") && dot.contains("label=\"Stop\""), "{dot}");
}

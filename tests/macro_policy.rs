//! The resilience keys of `#[node(...)]` set the same policy as the builder's
//! calls: retry, timeout, breaker, degrade, optional, fallback, compensate.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Job {
    #[reducer(append)]
    log: Vec<String>,
}

fn entry(text: &str) -> JobUpdate {
    JobUpdate::default().log(vec![text.to_owned()])
}

fn run_graph(first: impl stategraph::node::IntoNodeRef<Job>) -> StateGraph<Job> {
    StateGraph::new().add_edge(START, first)
}

static FLAKY_CALLS: AtomicU32 = AtomicU32::new(0);

#[node(retry(max_attempts = 3, initial = "1ms", factor = 1.0, max = "1ms", jitter = false))]
async fn flaky(_: &Job, ctx: &Ctx) -> NodeResult<JobUpdate> {
    FLAKY_CALLS.fetch_add(1, Ordering::SeqCst);
    if ctx.attempt() < 3 { Err(NodeError::transient("down")) } else { Ok(entry("flaky")) }
}

#[tokio::test]
async fn retry_attribute_tries_the_node_as_often_as_it_says() {
    let graph = run_graph(flaky).add_edge(flaky, END).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["flaky"]);
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 3);
}

static DOWN_CALLS: AtomicU32 = AtomicU32::new(0);

#[node(retry(max_attempts = 4, initial = "1ms", jitter = false))]
async fn always_down(_: &Job) -> NodeResult<JobUpdate> {
    DOWN_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(NodeError::transient("down"))
}

#[tokio::test]
async fn retry_a_builder_call_overrides_the_attribute() {
    let graph = run_graph(always_down).compile().unwrap();
    let run = graph.invoke(Job::default(), "a").await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    assert_eq!(DOWN_CALLS.load(Ordering::SeqCst), 4);

    let graph = run_graph(always_down).retry(always_down, RetryPolicy::never()).compile().unwrap();
    graph.invoke(Job::default(), "b").await.unwrap();
    assert_eq!(DOWN_CALLS.load(Ordering::SeqCst), 5, "one attempt more, not four");
}

#[node(timeout = "50ms")]
async fn slow(_: &Job) -> NodeResult<JobUpdate> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    Ok(entry("slow"))
}

#[tokio::test(start_paused = true)]
async fn timeout_attribute_cuts_off_a_slow_node() {
    let graph = run_graph(slow).add_edge(slow, END).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    assert!(
        matches!(&run.outcome, Outcome::Failed { node, error } if node == "slow" && error.kind == ErrorKind::Timeout),
        "{:?}",
        run.outcome
    );
    assert!(run.state.log.is_empty(), "a timed-out attempt writes nothing");
}

static OCR_CALLS: AtomicU32 = AtomicU32::new(0);

#[node(breaker = "ocr-service")]
async fn ocr(_: &Job) -> NodeResult<JobUpdate> {
    OCR_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(NodeError::transient("ocr down"))
}

#[tokio::test]
async fn breaker_attribute_names_the_service_whose_breaker_guards_the_node() {
    let graph = run_graph(ocr)
        .breaker_config("ocr-service", BreakerConfig { failure_threshold: 2, cool_down: Duration::from_secs(30) })
        .compile()
        .unwrap();
    for thread in ["a", "b"] {
        graph.invoke(Job::default(), thread).await.unwrap();
    }
    assert_eq!(graph.breakers().state("ocr-service"), Some(BreakerState::Open));
    let run = graph.invoke(Job::default(), "c").await.unwrap();
    assert!(matches!(&run.outcome, Outcome::Failed { error, .. } if error.kind == ErrorKind::Unavailable));
    assert_eq!(OCR_CALLS.load(Ordering::SeqCst), 2, "an open breaker does not call the node");
}

fn no_match(_: &Job) -> JobUpdate {
    entry("match: none (degraded)")
}

#[node(degrade = no_match)]
async fn match_po(_: &Job) -> NodeResult<JobUpdate> {
    Err(NodeError::transient("po service down"))
}

#[node]
async fn book(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("book"))
}

#[tokio::test]
async fn degrade_attribute_applies_the_default_and_taints_what_follows() {
    let graph = run_graph(match_po).add_edge(match_po, book).add_edge(book, END).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["match: none (degraded)", "book"]);
    let degraded = &run.health.degraded;
    assert_eq!(degraded.len(), 1);
    assert_eq!(degraded[0].node, "match_po");
    assert_eq!(degraded[0].tainted, ["book"]);
}

#[node(optional)]
async fn enrich(_: &Job) -> NodeResult<JobUpdate> {
    Err(NodeError::transient("enrichment api down"))
}

#[node]
async fn cite(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("cite"))
}

#[node]
async fn draft(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("draft"))
}

#[tokio::test]
async fn optional_attribute_skips_only_what_depends_on_the_node() {
    let graph = run_graph(enrich).add_edge(enrich, cite).add_edge(START, draft).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["draft"]);
    assert_eq!(run.health.failed.iter().map(|f| f.node.as_str()).collect::<Vec<_>>(), ["enrich"]);
    assert_eq!(run.health.skipped.iter().map(|s| s.node.as_str()).collect::<Vec<_>>(), ["cite"]);
}

#[node(fallback = small_model)]
async fn large_model(_: &Job) -> NodeResult<JobUpdate> {
    Err(NodeError::transient("rate limited"))
}

#[node]
async fn small_model(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("answer from the small model"))
}

#[tokio::test]
async fn fallback_attribute_runs_the_backup_without_wiring_it() {
    let graph = run_graph(large_model).add_edge(large_model, END).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(run.state.log, ["answer from the small model"]);
    let used = &run.health.fallbacks;
    assert_eq!((used[0].node.as_str(), used[0].fallback.as_str()), ("large_model", "small_model"));
}

#[node(compensate = delete_user)]
async fn create_user(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("user created"))
}

#[node]
async fn delete_user(_: &Job) -> NodeResult<JobUpdate> {
    Ok(entry("user deleted"))
}

#[node(critical)]
async fn send_email(_: &Job) -> NodeResult<JobUpdate> {
    Err(NodeError::permanent("mailbox rejected"))
}

#[tokio::test]
async fn compensate_attribute_undoes_the_node_when_a_critical_one_fails() {
    let graph = run_graph(create_user).add_edge(create_user, send_email).compile().unwrap();
    let run = graph.invoke(Job::default(), "t").await.unwrap();
    match &run.outcome {
        Outcome::RolledBack { failed_node, compensated, compensation_failures, .. } => {
            assert_eq!(failed_node, "send_email");
            assert_eq!(compensated, &["create_user"]);
            assert!(compensation_failures.is_empty());
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
    assert_eq!(run.state.log, ["user created", "user deleted"]);
    let dot = graph.to_dot();
    assert!(dot.contains("v2 -> v3 [style=dashed") && dot.contains("v3 [label=\"delete_user\"]"), "{dot}");
}

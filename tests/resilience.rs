//! Resilience policies through the public API: retry, timeout, breaker,
//! degrade and skip, fallback, compensation.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Counter, CounterUpdate};
use futures::StreamExt;
use stategraph::prelude::*;
use tokio::time::Instant;

fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).initial(Duration::from_millis(1)).jitter(false)
}

async fn ok(entry: &'static str) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::log(entry))
}

#[tokio::test(start_paused = true)]
async fn retry_sleeps_the_exact_backoff_and_tells_the_node_its_attempt() {
    type Seen = Vec<(u32, Option<String>, Instant)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let record = seen.clone();
    let graph = StateGraph::new()
        .add_node("flaky", move |_: &Counter, ctx: &Ctx| {
            let attempt = ctx.attempt();
            let last = ctx.last_error().map(|e| e.message.clone());
            record.lock().unwrap().push((attempt, last, Instant::now()));
            async move {
                if attempt < 4 {
                    Err(NodeError::transient(format!("down #{attempt}")))
                } else {
                    Ok(CounterUpdate::log("ok"))
                }
            }
        })
        .add_edge(START, "flaky")
        .retry("flaky", RetryPolicy::new(4).initial(Duration::from_secs(1)).factor(3.0).jitter(false))
        .compile()
        .unwrap();
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log, ["ok"]);
    let seen = seen.lock().unwrap();
    let attempts: Vec<u32> = seen.iter().map(|s| s.0).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    assert_eq!(seen[0].1, None);
    assert_eq!(seen[3].1.as_deref(), Some("down #3"));
    let waits: Vec<Duration> = seen.windows(2).map(|w| w[1].2 - w[0].2).collect();
    assert_eq!(waits, [Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(9)]);
}

#[tokio::test]
async fn retry_does_not_retry_a_permanent_error() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let graph = StateGraph::new()
        .add_node("strict", move |_: &Counter| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<CounterUpdate, _>(NodeError::permanent("invoice total is negative")) }
        })
        .add_edge(START, "strict")
        .default_retry(fast_retry(5))
        .compile()
        .unwrap();
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert!(
        matches!(&run.outcome, Outcome::Failed { node, error } if node == "strict" && error.kind == ErrorKind::Permanent)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retry_invalid_output_is_retried_with_feedback() {
    let graph = StateGraph::new()
        .add_node("writer", |_: &Counter, ctx: &Ctx| {
            let feedback = ctx.last_error().map(|e| e.message.clone());
            async move {
                match feedback {
                    None => Err(NodeError::invalid_output("missing the invoice number")),
                    Some(feedback) => Ok(CounterUpdate::log(format!("fixed: {feedback}"))),
                }
            }
        })
        .add_edge(START, "writer")
        .retry("writer", fast_retry(2))
        .compile()
        .unwrap();
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert_eq!(run.state.log, ["fixed: missing the invoice number"]);
}

/// A node that fails its first two attempts, hangs on the third the first
/// time round (the process "dies" there), and fails afterwards.
fn crashing_graph(saver: Arc<dyn Checkpointer>, hang: bool, attempts: Arc<Mutex<Vec<u32>>>) -> CompiledGraph<Counter> {
    let hung = Arc::new(tokio::sync::Notify::new());
    StateGraph::new()
        .add_node("flaky", move |_: &Counter, ctx: &Ctx| {
            let attempt = ctx.attempt();
            attempts.lock().unwrap().push(attempt);
            let hung = hung.clone();
            async move {
                if hang && attempt == 3 {
                    hung.notify_one();
                    std::future::pending::<()>().await;
                }
                Err::<CounterUpdate, _>(NodeError::transient("still down"))
            }
        })
        .add_edge(START, "flaky")
        .retry("flaky", fast_retry(5))
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver)
}

#[tokio::test]
async fn retry_attempt_count_survives_a_restart() {
    let saver: Arc<dyn Checkpointer> = Arc::new(MemorySaver::new());
    let first: Arc<Mutex<Vec<u32>>> = Arc::default();
    let graph = crashing_graph(saver.clone(), true, first.clone());
    let run = tokio::spawn(async move { graph.invoke(Counter::default(), "t").await.map(|r| r.outcome) });
    while first.lock().unwrap().len() < 3 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run.abort(); // the process dies during attempt 3
    assert!(run.await.unwrap_err().is_cancelled());

    let second: Arc<Mutex<Vec<u32>>> = Arc::default();
    let restarted = crashing_graph(saver, false, second.clone());
    let run = restarted.resume("t", Resume::new()).await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    assert_eq!(*first.lock().unwrap(), [1, 2, 3]);
    assert_eq!(*second.lock().unwrap(), [3, 4, 5], "the count goes on; 5 attempts in all, not 5 more");
}

#[tokio::test(start_paused = true)]
async fn timeout_cuts_off_a_slow_attempt_and_discards_its_writes() {
    let graph = StateGraph::new()
        .add_node("slow", |_: &Counter, ctx: &Ctx| {
            let attempt = ctx.attempt();
            async move {
                if attempt == 1 {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return Ok(CounterUpdate::log("late"));
                }
                Ok(CounterUpdate::log("in time"))
            }
        })
        .add_edge(START, "slow")
        .timeout("slow", Duration::from_secs(5))
        .retry("slow", fast_retry(2))
        .compile()
        .unwrap();
    let events: Vec<_> = graph.stream(Counter::default(), "t").collect().await;
    let retried = events.iter().any(
        |e| matches!(e, Ok(Event::Policy(PolicyEvent::Retrying { error, .. })) if error.kind == ErrorKind::Timeout),
    );
    assert!(retried, "the cut attempt is a timeout and is retried");
    let Some(Ok(Event::Finished(run))) = events.last() else { panic!("no result: {events:?}") };
    assert_eq!(run.state.log, ["in time"]);
}

#[tokio::test(start_paused = true)]
async fn breaker_fails_fast_when_open_and_closes_after_a_good_trial() {
    let calls = Arc::new(AtomicU32::new(0));
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (c, h) = (calls.clone(), healthy.clone());
    let graph = StateGraph::new()
        .add_node("ocr", move |_: &Counter| {
            c.fetch_add(1, Ordering::SeqCst);
            let up = h.load(Ordering::SeqCst);
            async move { if up { Ok(CounterUpdate::log("text")) } else { Err(NodeError::transient("ocr down")) } }
        })
        .add_edge(START, "ocr")
        .breaker("ocr", "ocr-service")
        .breaker_config("ocr-service", BreakerConfig { failure_threshold: 2, cool_down: Duration::from_secs(30) })
        .compile()
        .unwrap();
    for thread in ["a", "b"] {
        let run = graph.invoke(Counter::default(), thread).await.unwrap();
        assert!(matches!(&run.outcome, Outcome::Failed { error, .. } if error.kind == ErrorKind::Transient));
    }
    assert_eq!(graph.breakers().state("ocr-service"), Some(BreakerState::Open));
    let run = graph.clone().invoke(Counter::default(), "c").await.unwrap();
    assert!(matches!(&run.outcome, Outcome::Failed { error, .. } if error.kind == ErrorKind::Unavailable));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "an open breaker does not call the node");

    tokio::time::advance(Duration::from_secs(30)).await;
    healthy.store(true, Ordering::SeqCst);
    let events: Vec<_> = graph.stream(Counter::default(), "d").collect().await;
    let changes: Vec<(BreakerState, BreakerState)> = events
        .iter()
        .filter_map(|e| match e {
            Ok(Event::Policy(PolicyEvent::BreakerChanged { from, to, .. })) => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(BreakerState::Open, BreakerState::HalfOpen), (BreakerState::HalfOpen, BreakerState::Closed)]);
    assert!(matches!(events.last(), Some(Ok(Event::Finished(run))) if run.is_completed()));
    assert_eq!(graph.breakers().state("ocr-service"), Some(BreakerState::Closed));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A -> B -> C -> D, and START -> E on its own; B always fails.
fn cascade(policy: NodePolicy<Counter>) -> CompiledGraph<Counter> {
    StateGraph::new()
        .add_node("a", |_: &Counter| ok("a"))
        .add_node("b", |_: &Counter| async { Err::<CounterUpdate, _>(NodeError::transient("model overloaded")) })
        .add_node("c", |_: &Counter| ok("c"))
        .add_node("d", |_: &Counter| ok("d"))
        .add_node("e", |_: &Counter| ok("e"))
        .add_node("undo_a", |_: &Counter| ok("undo a"))
        .add_edge(START, "a")
        .add_edge("a", "b")
        .add_edge("b", "c")
        .add_edge("c", "d")
        .add_edge(START, "e")
        .compensate("a", "undo_a")
        .retry("b", fast_retry(2))
        .policy("b", policy)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

#[tokio::test]
async fn degrade_and_skip_critical_failure_rolls_back() {
    let run = cascade(NodePolicy::new().critical()).invoke(Counter::default(), "t").await.unwrap();
    match &run.outcome {
        Outcome::RolledBack { failed_node, compensated, compensation_failures, .. } => {
            assert_eq!(failed_node, "b");
            assert_eq!(compensated, &["a"]);
            assert!(compensation_failures.is_empty());
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
    assert_eq!(run.state.log, ["a", "e", "undo a"]);
}

#[tokio::test]
async fn degrade_and_skip_degraded_node_taints_what_runs_after_it() {
    let graph = cascade(NodePolicy::new().degrade(|_: &Counter| CounterUpdate::log("b (default)")));
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log, ["a", "e", "b (default)", "c", "d"]);
    assert_eq!(run.health.degraded.len(), 1);
    assert_eq!(run.health.degraded[0].node, "b");
    assert_eq!(run.health.degraded[0].tainted, ["c", "d"]);
    assert_eq!(run.health.degraded_inputs("d"), ["b"]);
    assert!(run.health.degraded_inputs("e").is_empty());
    let snapshot = graph.state("t").await.unwrap();
    assert_eq!(snapshot.health, run.health, "the record is in the checkpoint");
}

#[tokio::test]
async fn degrade_and_skip_optional_failure_skips_only_what_depends_on_it() {
    let run = cascade(NodePolicy::new().optional()).invoke(Counter::default(), "t").await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log, ["a", "e"]);
    assert_eq!(run.health.failed.len(), 1);
    assert_eq!(run.health.failed[0].node, "b");
    let skipped: Vec<(&str, &str)> = run.health.skipped.iter().map(|s| (s.node.as_str(), s.cause.as_str())).collect();
    assert_eq!(skipped, [("c", "b"), ("d", "b")]);
}

fn join_after_optional(partial_ok: bool) -> CompiledGraph<Counter> {
    let graph = StateGraph::new()
        .add_node("x", |_: &Counter| async { Err::<CounterUpdate, _>(NodeError::permanent("no data")) })
        .add_node("y", |_: &Counter| ok("y"))
        .add_node("z", |_: &Counter| ok("z"))
        .add_edge(START, "x")
        .add_edge(START, "y")
        .add_join(("x", "y"), "z")
        .optional("x");
    let graph = if partial_ok { graph.partial_ok("z") } else { graph };
    graph.compile().unwrap()
}

#[tokio::test]
async fn degrade_and_skip_join_with_a_failed_source_is_skipped_unless_partial_ok() {
    let run = join_after_optional(false).invoke(Counter::default(), "t").await.unwrap();
    assert_eq!(run.state.log, ["y"]);
    assert_eq!(run.health.skip_cause("z"), Some("x"));
    let run = join_after_optional(true).invoke(Counter::default(), "t").await.unwrap();
    assert_eq!(run.state.log, ["y", "z"]);
    assert!(run.health.skipped.is_empty());
}

#[tokio::test]
async fn fallback_runs_the_backup_and_the_outcome_says_so() {
    let graph = StateGraph::new()
        .add_node("primary_model", |_: &Counter| async {
            Err::<CounterUpdate, _>(NodeError::transient("rate limited"))
        })
        .add_node("backup_model", |_: &Counter, ctx: &Ctx| {
            let why = ctx.last_error().map(|e| e.message.clone()).unwrap_or_default();
            async move { Ok(CounterUpdate::log(format!("backup answered ({why})"))) }
        })
        .add_node("publish", |_: &Counter| ok("published"))
        .add_edge(START, "primary_model")
        .add_edge("primary_model", "publish")
        .retry("primary_model", fast_retry(2))
        .fallback("primary_model", "backup_model")
        .compile()
        .unwrap();
    let run = graph.invoke(Counter::default(), "t").await.unwrap();
    assert!(run.is_completed());
    assert_eq!(run.state.log, ["backup answered (rate limited)", "published"]);
    assert_eq!(run.health.fallbacks.len(), 1);
    assert_eq!(run.health.fallbacks[0].node, "primary_model");
    assert_eq!(run.health.fallbacks[0].fallback, "backup_model");
}

/// User, subscription, email; the email fails. Compensators record what
/// state they saw.
#[derive(Default)]
struct Saga {
    undo_calls: Mutex<Vec<(String, Vec<String>)>>,
    finished_undos: AtomicU32,
}

fn account_saga(saga: Arc<Saga>, saver: Arc<dyn Checkpointer>, hang_in_delete_user: bool) -> CompiledGraph<Counter> {
    let hung = Arc::new(AtomicU32::new(0));
    let (s1, s2) = (saga.clone(), saga);
    StateGraph::new()
        .add_node("create_user", |_: &Counter| ok("user created"))
        .add_node("create_subscription", |_: &Counter| ok("subscription created"))
        .add_node("send_email", |_: &Counter| async { Err::<CounterUpdate, _>(NodeError::permanent("smtp rejected")) })
        .add_node("cancel_subscription", move |state: &Counter| {
            s1.undo_calls.lock().unwrap().push(("cancel_subscription".into(), state.log.clone()));
            s1.finished_undos.fetch_add(1, Ordering::SeqCst);
            ok("subscription cancelled")
        })
        .add_node("delete_user", move |state: &Counter| {
            s2.undo_calls.lock().unwrap().push(("delete_user".into(), state.log.clone()));
            let saga = s2.clone();
            let hang = hang_in_delete_user && hung.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                saga.finished_undos.fetch_add(1, Ordering::SeqCst);
                Ok(CounterUpdate::log("user deleted"))
            }
        })
        .add_edge(START, "create_user")
        .add_edge("create_user", "create_subscription")
        .add_edge("create_subscription", "send_email")
        .compensate("create_user", "delete_user")
        .compensate("create_subscription", "cancel_subscription")
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver)
}

#[tokio::test]
async fn compensation_undoes_completed_nodes_in_reverse_order() {
    let saga = Arc::new(Saga::default());
    let graph = account_saga(saga.clone(), Arc::new(MemorySaver::new()), false);
    let run = graph.invoke(Counter::default(), "acct").await.unwrap();
    let Outcome::RolledBack { failed_node, error, compensated, .. } = &run.outcome else {
        panic!("expected a rollback: {:?}", run.outcome)
    };
    assert_eq!(failed_node, "send_email");
    assert_eq!(error.message, "smtp rejected");
    assert_eq!(compensated, &["create_subscription", "create_user"]);
    let calls = saga.undo_calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            ("cancel_subscription".to_owned(), vec!["user created".to_owned(), "subscription created".to_owned()]),
            ("delete_user".to_owned(), vec!["user created".to_owned()]),
        ],
        "each compensator sees the state right after the node it undoes"
    );
    assert_eq!(run.state.log, ["user created", "subscription created", "subscription cancelled", "user deleted"]);
    let err = graph.resume("acct", Resume::new()).await.unwrap_err();
    assert!(matches!(err, RunError::NotResumable { .. }), "{err}");
}

#[tokio::test]
async fn compensation_resumes_a_rollback_cut_short_by_a_crash() {
    let saver: Arc<dyn Checkpointer> = Arc::new(MemorySaver::new());
    let saga = Arc::new(Saga::default());
    let graph = account_saga(saga.clone(), saver.clone(), true);
    let run = tokio::spawn(async move { graph.invoke(Counter::default(), "acct").await.map(|r| r.outcome) });
    while saga.undo_calls.lock().unwrap().len() < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run.abort(); // dies inside delete_user, after cancel_subscription was checkpointed
    assert!(run.await.unwrap_err().is_cancelled());
    assert_eq!(saga.finished_undos.load(Ordering::SeqCst), 1);

    let restarted = account_saga(saga.clone(), saver, false);
    let run = restarted.resume("acct", Resume::new()).await.unwrap();
    assert!(
        matches!(&run.outcome, Outcome::RolledBack { compensated, .. } if compensated == &["create_subscription", "create_user"])
    );
    let names: Vec<String> = saga.undo_calls.lock().unwrap().iter().map(|c| c.0.clone()).collect();
    assert_eq!(names, ["cancel_subscription", "delete_user", "delete_user"], "only the cut compensator runs again");
    assert_eq!(saga.finished_undos.load(Ordering::SeqCst), 2, "each compensation completed exactly once");
    assert_eq!(run.state.log.last().map(String::as_str), Some("user deleted"));
}

#[tokio::test]
async fn policy_build_errors_name_the_fault() {
    let err = StateGraph::<Counter>::new()
        .add_node("a", |_: &Counter| ok("a"))
        .add_edge(START, "a")
        .fallback("a", "missing")
        .compile()
        .unwrap_err();
    assert!(matches!(&err, BuildError::UnknownNode { node, .. } if node == "missing"), "{err}");
    let err = StateGraph::<Counter>::new()
        .add_node("a", |_: &Counter| ok("a"))
        .add_edge(START, "a")
        .partial_ok("a")
        .compile()
        .unwrap_err();
    assert!(matches!(err, BuildError::InvalidJoin { .. }), "{err}");
}

#[test]
fn dot_draws_compensating_edges_and_breakers() {
    let graph = StateGraph::<Counter>::new()
        .add_node("charge", |_: &Counter| ok("charged"))
        .add_node("refund", |_: &Counter| ok("refunded"))
        .add_edge(START, "charge")
        .compensate("charge", "refund")
        .breaker("charge", "payments")
        .compile()
        .unwrap();
    let dot = graph.to_dot();
    assert!(dot.contains("label=\"compensate\""), "{dot}");
    assert!(dot.contains("[breaker: payments]"), "{dot}");
}

#[tokio::test(start_paused = true)]
async fn breaker_a_cancelled_trial_call_counts_as_failed_not_stuck_half_open() {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let graph = StateGraph::new()
        .add_node("llm", move |_: &Counter| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    return Err(NodeError::transient("overloaded"));
                }
                std::future::pending::<()>().await;
                Ok(CounterUpdate::log("never"))
            }
        })
        .add_edge(START, "llm")
        .breaker("llm", "llm")
        .breaker_config("llm", BreakerConfig { failure_threshold: 1, cool_down: Duration::from_secs(5) })
        .compile()
        .unwrap();
    graph.invoke(Counter::default(), "a").await.unwrap();
    assert_eq!(graph.breakers().state("llm"), Some(BreakerState::Open));
    tokio::time::advance(Duration::from_secs(5)).await;
    let trial = tokio::time::timeout(Duration::from_secs(1), graph.invoke(Counter::default(), "b")).await;
    assert!(trial.is_err(), "the trial call hangs and is cancelled");
    assert_eq!(graph.breakers().state("llm"), Some(BreakerState::Open));
}

//! Metrics: a test recorder sees the per-node counters and histograms, the
//! retries, the cost, the breaker gauge and the dead letters after a few runs.

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Call {
    fail: bool,
    #[reducer(append)]
    log: Vec<String>,
}

fn graph() -> CompiledGraph<Call> {
    StateGraph::new()
        .add_node("plan", |_: &Call, ctx: &Ctx| {
            ctx.add_cost(0.25);
            async { Ok(CallUpdate::default().log(vec!["planned".into()])) }
        })
        .add_node("call", |call: &Call, ctx: &Ctx| {
            let (fail, attempt) = (call.fail, ctx.attempt());
            async move {
                match (fail, attempt) {
                    (true, _) => Err(NodeError::transient("api down")),
                    (false, 1) => Err(NodeError::transient("flaky")),
                    (false, _) => Ok(CallUpdate::default().log(vec!["called".into()])),
                }
            }
        })
        .add_edge(START, "plan")
        .add_edge("plan", "call")
        .add_edge("call", END)
        .retry("call", RetryPolicy::new(2).initial(Duration::from_millis(1)).jitter(false))
        .breaker("call", "metrics-api")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
        .with_metrics()
}

fn value<'a>(
    snapshot: &'a [(CompositeKey, Option<metrics::Unit>, Option<metrics::SharedString>, DebugValue)],
    kind: MetricKind,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a DebugValue> {
    snapshot.iter().find_map(|(key, _, _, value)| {
        let key_labels: Vec<(&str, &str)> = key.key().labels().map(|l| (l.key(), l.value())).collect();
        let matches =
            key.kind() == kind && key.key().name() == name && labels.iter().all(|want| key_labels.contains(want));
        matches.then_some(value)
    })
}

#[test]
fn metrics_a_test_recorder_sees_counters_and_histograms_after_a_few_runs() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let graph = graph();
            for i in 0..3 {
                assert!(graph.invoke(Call::default(), &format!("ok-{i}")).await.unwrap().is_completed());
            }
            for i in 0..3 {
                let run = graph.invoke(Call { fail: true, ..Call::default() }, &format!("down-{i}")).await.unwrap();
                assert!(matches!(run.outcome, Outcome::Failed { .. }));
            }
        });
    });
    let snapshot = snapshotter.snapshot().into_vec();
    let counter = |name: &str, labels: &[(&str, &str)]| match value(&snapshot, MetricKind::Counter, name, labels) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name} {labels:?}: {other:?}"),
    };
    assert_eq!(counter("stategraph_node_runs_total", &[("node", "plan"), ("outcome", "succeeded")]), 6);
    assert_eq!(counter("stategraph_node_runs_total", &[("node", "call"), ("outcome", "succeeded")]), 3);
    assert_eq!(counter("stategraph_node_runs_total", &[("node", "call"), ("outcome", "failed")]), 3);
    // Each run made two attempts at `call`: the good ones failed once, then
    // succeeded; the failing ones failed twice, except that the fifth
    // consecutive failure opened the breaker and the last attempt was refused.
    assert_eq!(counter("stategraph_node_retries_total", &[("node", "call")]), 6);
    assert_eq!(counter("stategraph_dead_letters_total", &[]), 3);
    match value(&snapshot, MetricKind::Histogram, "stategraph_node_latency_seconds", &[("node", "call")]) {
        Some(DebugValue::Histogram(samples)) => assert_eq!(samples.len(), 6, "one latency per task"),
        other => panic!("latency: {other:?}"),
    }
    match value(&snapshot, MetricKind::Histogram, "stategraph_node_cost", &[("node", "plan")]) {
        Some(DebugValue::Histogram(samples)) => {
            assert_eq!(samples.len(), 6);
            assert!(samples.iter().all(|s| s.into_inner() == 0.25));
        }
        other => panic!("cost: {other:?}"),
    }
    match value(&snapshot, MetricKind::Gauge, "stategraph_breaker_open", &[("breaker", "metrics-api")]) {
        Some(DebugValue::Gauge(open)) => assert_eq!(open.into_inner(), 1.0, "the breaker opened"),
        other => panic!("breaker: {other:?}"),
    }
}

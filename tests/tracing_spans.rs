//! tracing: a run is a `graph.run` span with `thread.id`, and each node
//! attempt a `node` span with `node.name`, `graph.step`, `node.attempt` and
//! `thread.id`; policy decisions are events.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stategraph::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Job {
    #[reducer(append)]
    log: Vec<String>,
}

type Fields = BTreeMap<String, String>;

/// Records every span (name and fields) and every event's message.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<(String, Fields)>>>,
    events: Arc<Mutex<Vec<Fields>>>,
    next: Arc<AtomicU64>,
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        span.record(&mut Collect(&mut fields));
        self.spans.lock().unwrap().push((span.metadata().name().to_owned(), fields));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn tracing_spans_carry_thread_node_step_and_attempt() {
    let recorder = Recorder::default();
    let graph = StateGraph::new()
        .add_node("plan", |_: &Job| async { Ok(JobUpdate::default().log(vec!["planned".into()])) })
        .add_node("call", |_: &Job, ctx: &Ctx| {
            let attempt = ctx.attempt();
            async move {
                if attempt == 1 {
                    Err(NodeError::transient("flaky"))
                } else {
                    Ok(JobUpdate::default().log(vec!["called".into()]))
                }
            }
        })
        .add_edge(START, "plan")
        .add_edge("plan", "call")
        .add_edge("call", END)
        .retry("call", RetryPolicy::new(2).initial(Duration::from_millis(1)).jitter(false))
        .compile()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let run = rt.block_on(graph.invoke(Job::default(), "traced-1")).unwrap();
        assert!(run.is_completed());
    });

    let spans = recorder.spans.lock().unwrap();
    let runs: Vec<&Fields> = spans.iter().filter(|(name, _)| name == "graph.run").map(|(_, f)| f).collect();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["thread.id"], "traced-1");
    let nodes: Vec<(&str, &str, &str, &str)> = spans
        .iter()
        .filter(|(name, _)| name == "node")
        .map(|(_, f)| {
            (f["node.name"].as_str(), f["graph.step"].as_str(), f["node.attempt"].as_str(), f["thread.id"].as_str())
        })
        .collect();
    assert_eq!(
        nodes,
        [("plan", "1", "1", "traced-1"), ("call", "2", "1", "traced-1"), ("call", "2", "2", "traced-1")],
        "one span per attempt"
    );
    let events = recorder.events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.get("message").is_some_and(|m| m.contains("retrying"))
            && e.get("node.name").is_some_and(|n| n == "call")),
        "a retry is an event naming its node: {events:?}"
    );
}

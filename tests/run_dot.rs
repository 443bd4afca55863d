//! The DOT of a thread (`CompiledGraph::thread_dot`): the whole graph, each
//! node filled by its outcome in the stored run, breaker-guarded nodes
//! double-bordered, compensating edges distinct, the path taken in bold; and
//! it renders with Graphviz.

mod common;

use common::{Counter, CounterUpdate};
use stategraph::graph::{Branch, Selected};
use stategraph::prelude::*;

/// After translating: done, or (never, here) archive.
enum Next {
    Done,
    Archive,
}

impl Route<Counter> for Next {
    fn branches() -> Vec<Branch<Counter>> {
        vec![Branch::new("done", [END]), Branch::new("archive", ["archive"])]
    }
    fn select(self) -> Selected<Counter> {
        match self {
            Next::Done => Selected::branch(0),
            Next::Archive => Selected::branch(1),
        }
    }
}

async fn ok(entry: &'static str) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::log(entry))
}

async fn down(why: &'static str) -> NodeResult<CounterUpdate> {
    Err(NodeError::permanent(why))
}

/// The DOT line of the vertex labelled `name` (first line of its label).
fn vertex<'a>(dot: &'a str, name: &str) -> &'a str {
    let (alone, first) = (format!(" [label=\"{name}\""), format!(" [label=\"{name}\\n"));
    dot.lines()
        .find(|line| line.contains(&alone) || line.contains(&first))
        .unwrap_or_else(|| panic!("no vertex {name} in\n{dot}"))
}

#[tokio::test]
async fn run_dot_of_a_degraded_run_marks_degraded_tainted_failed_skipped_fallback_and_unreached_nodes() {
    // fetch fans out to three: summarize degrades (publish rests on it),
    // enrich is optional and fails (tag, which only it leads to, is
    // skipped), translate fails over to its backup. archive is never routed to.
    let graph = StateGraph::new()
        .add_node("fetch", |_: &Counter| ok("fetched"))
        .add_node("summarize", |_: &Counter| down("model overloaded"))
        .add_node("publish", |_: &Counter| ok("published"))
        .add_node("enrich", |_: &Counter| down("no such company"))
        .add_node("tag", |_: &Counter| ok("tagged"))
        .add_node("translate", |_: &Counter| down("rate limited"))
        .add_node("translate_backup", |_: &Counter| ok("translated (backup)"))
        .add_node("archive", |_: &Counter| ok("archived"))
        .add_edge(START, "fetch")
        .add_edge("fetch", "summarize")
        .add_edge("fetch", "enrich")
        .add_edge("fetch", "translate")
        .add_edge("summarize", "publish")
        .add_edge("enrich", "tag")
        .add_edge("publish", END)
        .add_conditional_edges("translate", |s: &Counter| if s.count > 0 { Next::Archive } else { Next::Done })
        .add_edge("archive", END)
        .breaker("fetch", "search-api")
        .degrade("summarize", |_: &Counter| CounterUpdate::log("(no summary)"))
        .optional("enrich")
        .fallback("translate", "translate_backup")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Counter::default(), "degraded").await.unwrap();
    assert!(run.is_completed());

    let dot = graph.thread_dot("degraded").await.unwrap();
    assert!(dot.contains("label=\"thread degraded\""), "{dot}");
    let fetch = vertex(&dot, "fetch");
    assert!(fetch.contains("peripheries=2") && fetch.contains("breaker: search-api"), "guarded: {fetch}");
    assert!(fetch.contains("fillcolor=\"#dafbe1\""), "succeeded: {fetch}");
    assert!(vertex(&dot, "summarize").contains("\\ndegraded\\nmodel overloaded"), "{dot}");
    assert!(vertex(&dot, "publish").contains("\\non degraded input\\nrests on summarize"), "{dot}");
    assert!(vertex(&dot, "enrich").contains("\\nfailed\\nno such company"), "{dot}");
    assert!(vertex(&dot, "tag").contains("\\nskipped\\ncause: enrich"), "{dot}");
    let translate = vertex(&dot, "translate");
    assert!(translate.contains("\\nfallback used"), "{translate}");
    assert!(vertex(&dot, "translate_backup").contains("stood in for translate"), "{dot}");
    assert!(vertex(&dot, "archive").contains("\\nnot reached"), "{dot}");
    // The path taken is bold: START -> fetch, publish -> END; not the skip
    // of tag, nor translate -> archive.
    assert!(dot.contains("v0 -> v2 [penwidth=2.5]"), "{dot}");
    assert!(dot.contains("v4 -> v1 [penwidth=2.5]"), "{dot}");
    assert!(dot.contains("v5 -> v6;"), "{dot}");
    assert!(
        dot.lines().any(|l| l.contains("label=\"archive\"") && l.contains("->") && !l.contains("penwidth")),
        "{dot}"
    );
    common::render_svg(&dot);
}

#[tokio::test]
async fn run_dot_of_a_rolled_back_run_marks_compensated_nodes_and_draws_compensations_distinctly() {
    let graph = StateGraph::new()
        .add_node("reserve", |_: &Counter| ok("reserved"))
        .add_node("release", |_: &Counter| ok("released"))
        .add_node("charge", |_: &Counter| ok("charged"))
        .add_node("refund", |_: &Counter| ok("refunded"))
        .add_node("ship", |_: &Counter| down("carrier rejected the parcel"))
        .add_node("notify", |_: &Counter| ok("notified"))
        .add_edge(START, "reserve")
        .add_edge("reserve", "charge")
        .add_edge("charge", "ship")
        .add_edge("ship", "notify")
        .compensate("reserve", "release")
        .compensate("charge", "refund")
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Counter::default(), "saga").await.unwrap();
    assert!(matches!(run.outcome, Outcome::RolledBack { .. }), "{:?}", run.outcome);

    let dot = graph.thread_dot("saga").await.unwrap();
    assert!(vertex(&dot, "reserve").contains("\\ncompensated"), "{dot}");
    assert!(vertex(&dot, "charge").contains("\\ncompensated"), "{dot}");
    assert!(vertex(&dot, "refund").contains("\\ncompensation"), "{dot}");
    assert!(vertex(&dot, "release").contains("\\ncompensation"), "{dot}");
    assert!(vertex(&dot, "ship").contains("\\nfailed\\ncarrier rejected the parcel"), "{dot}");
    assert!(vertex(&dot, "notify").contains("\\nnot reached"), "{dot}");
    let compensations: Vec<&str> = dot.lines().filter(|l| l.contains("label=\"compensate\"")).collect();
    assert_eq!(compensations.len(), 2, "{dot}");
    assert!(compensations.iter().all(|l| l.contains("color=\"#cf222e\"") && l.contains("penwidth=2.5")), "{dot}");
    common::render_svg(&dot);
}

#[tokio::test]
async fn run_dot_of_an_interrupted_run_marks_the_waiting_node() {
    let graph = StateGraph::new()
        .add_node("draft", |_: &Counter| ok("drafted"))
        .add_node("approve", |_: &Counter, ctx: &Ctx| {
            let verdict = ctx.interrupt::<_, String>("send it?");
            async move { verdict.map(CounterUpdate::log) }
        })
        .add_node("send", |_: &Counter| ok("sent"))
        .add_edge(START, "draft")
        .add_edge("draft", "approve")
        .add_edge("approve", "send")
        .add_edge("send", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Counter::default(), "waiting").await.unwrap();
    assert!(matches!(run.outcome, Outcome::Interrupted { .. }));

    let dot = graph.thread_dot("waiting").await.unwrap();
    assert!(vertex(&dot, "draft").contains("fillcolor=\"#dafbe1\""), "{dot}");
    assert!(vertex(&dot, "approve").contains("\\ninterrupted"), "{dot}");
    assert!(vertex(&dot, "send").contains("\\nnot reached"), "{dot}");
    common::render_svg(&dot);
}

#[tokio::test]
async fn run_dot_errors_name_the_fault() {
    let graph = StateGraph::new().add_node("a", |_: &Counter| ok("a")).add_edge(START, "a").compile().unwrap();
    let no_store = graph.thread_dot("t").await.unwrap_err();
    assert!(matches!(no_store, RunError::NoCheckpointer { .. }), "{no_store}");
    let graph = graph.with_checkpointer(MemorySaver::new());
    let missing = graph.thread_dot("nobody").await.unwrap_err();
    assert!(matches!(missing, RunError::NoSuchThread { .. }), "{missing}");
    assert!(missing.to_string().contains("nobody"), "{missing}");
}

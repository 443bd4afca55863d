//! The `stategraph` inspector on a store written by a program it knows
//! nothing of: threads, history, state, dlq, dot, prune, and its errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Doc {
    #[reducer(append)]
    log: Vec<String>,
    summary: Option<String>,
}

#[node]
async fn extract(_: &Doc) -> NodeResult<DocUpdate> {
    Ok(DocUpdate::default().log(vec!["extracted".into()]))
}

fn no_summary(_: &Doc) -> DocUpdate {
    DocUpdate::default().summary(Some("(no summary)".into()))
}

#[node(degrade = no_summary)]
async fn summarize(_: &Doc) -> NodeResult<DocUpdate> {
    Err(NodeError::transient("model overloaded"))
}

#[node]
async fn publish(_: &Doc) -> NodeResult<DocUpdate> {
    Ok(DocUpdate::default().log(vec!["published".into()]))
}

#[node]
async fn broken(_: &Doc) -> NodeResult<DocUpdate> {
    Err(NodeError::permanent("schema mismatch"))
}

/// Writes three threads: one degraded and completed, one failed, one
/// waiting at an interrupt; then closes the store.
async fn write_store(dir: &Path) {
    let saver = std::sync::Arc::new(SledSaver::open(dir).unwrap());
    let degraded = StateGraph::new()
        .add_edge(START, extract)
        .add_edge(extract, summarize)
        .add_edge(summarize, publish)
        .add_edge(publish, END)
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver.clone());
    assert!(degraded.invoke(Doc::default(), "doc-degraded").await.unwrap().is_completed());
    let failing = StateGraph::new()
        .add_edge(START, extract)
        .add_edge(extract, broken)
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver.clone());
    let run = failing.invoke(Doc::default(), "doc-failed").await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    let waiting = StateGraph::new()
        .add_edge(START, extract)
        .add_edge(extract, publish)
        .interrupt_before(publish)
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver.clone());
    waiting.invoke(Doc::default(), "doc-waiting").await.unwrap();
    saver.flush().await.unwrap();
}

fn cli(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stategraph")).arg("--store").arg(store).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn cli_lists_threads_history_state_and_errors_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;

    let threads = stdout(&cli(&store, &["threads"]));
    let rows: Vec<Vec<&str>> = threads.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let status: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(status, [("doc-degraded", "completed"), ("doc-failed", "failed"), ("doc-waiting", "interrupted")]);

    let json = stdout(&cli(&store, &["--json", "threads"]));
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!((first["thread"].as_str(), first["status"].as_str()), (Some("doc-degraded"), Some("completed")));

    let history = stdout(&cli(&store, &["history", "--thread", "doc-degraded"]));
    assert_eq!(history.lines().count(), 1 + 4, "a header, the input and three steps:\n{history}");
    assert!(history.contains("step: summarize") && history.contains("input"), "{history}");

    let state = stdout(&cli(&store, &["--json", "state", "--thread", "doc-degraded", "--checkpoint", "1"]));
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["snapshot"]["log"], serde_json::json!([]));
    let latest = stdout(&cli(&store, &["--json", "state", "--thread", "doc-degraded"]));
    assert!(latest.contains("(no summary)") && latest.contains("published"), "{latest}");

    // Errors: one line, non-zero.
    let missing = cli(&store, &["history", "--thread", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr), "stategraph: no thread `nope` in this store\n");
    let no_store = cli(&dir.path().join("elsewhere"), &["threads"]);
    assert_eq!(no_store.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_store.stderr).starts_with("stategraph: no stategraph store at"));
    assert!(!dir.path().join("elsewhere").exists(), "inspecting never creates a store");
    assert_eq!(cli(&store, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(cli(&store, &["history"]).status.code(), Some(2), "history needs --thread");
}

#[tokio::test]
async fn cli_dot_of_a_degraded_run_marks_degraded_and_tainted_nodes_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;
    let dot = stdout(&cli(&store, &["dot", "--thread", "doc-degraded"]));
    assert!(dot.contains("summarize\\ndegraded\\nmodel overloaded"), "{dot}");
    assert!(dot.contains("publish\\non degraded input\\nrests on summarize"), "{dot}");
    assert!(dot.contains("extract\", style=\"rounded,filled\", fillcolor=\"#dafbe1\""), "{dot}");
    let failed = stdout(&cli(&store, &["dot", "--thread", "doc-failed"]));
    assert!(failed.contains("broken\\nfailed\\nschema mismatch"), "{failed}");

    common::render_svg(&dot);
}

#[tokio::test]
async fn cli_prune_keeps_the_newest_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;
    let out = stdout(&cli(&store, &["--json", "prune", "--thread", "doc-degraded", "--keep", "1"]));
    let pruned: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(pruned["removed"].as_u64().unwrap() >= 1, "{out}");
    let history = stdout(&cli(&store, &["--json", "history", "--thread", "doc-degraded"]));
    let latest: serde_json::Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    assert_eq!(latest["step"], 3, "the latest checkpoint is kept");
    assert!(history.lines().count() < 4);
    assert_eq!(cli(&store, &["prune", "--thread", "doc-degraded"]).status.code(), Some(2), "prune needs --keep");
}

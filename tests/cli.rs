//! The `stategraph` inspector on a store written by a program it knows
//! nothing of: threads, history, state, dlq, dot, prune, and its errors;
//! its command line (help, version, unknown flags, completions) and a
//! closed standard output.

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

#[node]
async fn reserve(_: &Doc) -> NodeResult<DocUpdate> {
    Ok(DocUpdate::default().log(vec!["reserved".into()]))
}

#[node]
async fn release(_: &Doc) -> NodeResult<DocUpdate> {
    Ok(DocUpdate::default().log(vec!["released".into()]))
}

#[node(optional)]
async fn enrich(_: &Doc) -> NodeResult<DocUpdate> {
    Err(NodeError::permanent("no enrichment source"))
}

#[node]
async fn annotate(_: &Doc) -> NodeResult<DocUpdate> {
    Ok(DocUpdate::default().log(vec!["annotated".into()]))
}

/// Adds two threads: one rolled back (`reserve` undone by `release` when
/// `broken` fails) and one where a failed optional node's successor is
/// skipped.
async fn write_saga_and_skip(dir: &Path) {
    let saver = std::sync::Arc::new(SledSaver::open(dir).unwrap());
    let saga = StateGraph::new()
        .add_edge(START, reserve)
        .add_edge(reserve, broken)
        .add_edge(broken, END)
        .compensate(reserve, release)
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver.clone());
    let run = saga.invoke(Doc::default(), "doc-saga").await.unwrap();
    assert!(matches!(run.outcome, Outcome::RolledBack { .. }), "{:?}", run.outcome);
    let skipping = StateGraph::new()
        .add_edge(START, extract)
        .add_edge(extract, enrich)
        .add_edge(enrich, annotate)
        .add_edge(extract, publish)
        .add_edge(annotate, END)
        .add_edge(publish, END)
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver.clone());
    let run = skipping.invoke(Doc::default(), "doc-skip").await.unwrap();
    assert_eq!(run.health.skip_cause("annotate"), Some("enrich"), "{:?}", run.health);
    saver.flush().await.unwrap();
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
    bare(&[]).arg("--store").arg(store).args(args).output().unwrap()
}

/// The binary with these arguments and no `--store`.
fn bare(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stategraph"));
    command.args(args).env_remove("STATEGRAPH_STORE");
    command
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

#[tokio::test]
async fn cli_history_shows_degraded_failed_skipped_and_compensated_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;
    write_saga_and_skip(&store).await;

    // Each note is on the checkpoint whose step it happened in, not repeated.
    let rows = |thread: &str| -> Vec<String> {
        stdout(&cli(&store, &["history", "--thread", thread])).lines().skip(1).map(str::to_owned).collect()
    };
    let degraded = rows("doc-degraded");
    let noted: Vec<&String> =
        degraded.iter().filter(|r| r.contains("degraded: summarize (model overloaded)")).collect();
    assert_eq!(noted.len(), 1, "{degraded:#?}");
    assert!(noted[0].contains("step: summarize"), "{degraded:#?}");

    let failed = rows("doc-failed");
    assert!(failed[0].contains("failed: broken (schema mismatch)"), "{failed:#?}");

    let saga = rows("doc-saga");
    let health: Vec<&str> = ["rollback after broken (schema mismatch)", "compensated: reserve"]
        .into_iter()
        .filter(|note| saga.iter().filter(|r| r.contains(note)).count() == 1)
        .collect();
    assert_eq!(health.len(), 2, "{saga:#?}");
    assert!(saga[0].contains("rollback: release") && saga[0].contains("compensated: reserve"), "{saga:#?}");

    let skip = rows("doc-skip");
    let skipped: Vec<&String> = skip.iter().filter(|r| r.contains("skipped: annotate (after enrich)")).collect();
    assert_eq!(skipped.len(), 1, "{skip:#?}");
    assert!(skipped[0].contains("failed, optional: enrich (no enrichment source)"), "{skip:#?}");

    let threads = stdout(&cli(&store, &["threads"]));
    assert!(threads.lines().any(|l| l.starts_with("doc-saga ") && l.contains(" rolled back ")), "{threads}");
}

#[test]
fn cli_help_and_version_exit_zero_for_the_program_and_every_subcommand() {
    let version = bare(&["--version"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout), format!("stategraph {}\n", env!("CARGO_PKG_VERSION")));
    let help = bare(&["--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let subcommands = ["threads", "history", "state", "dlq", "dot", "prune", "completions"];
    for sub in subcommands {
        assert!(help.contains(&format!("  {sub} ")), "{sub} is listed:\n{help}");
        let output = bare(&[sub, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{sub} --help");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(&format!("Usage: stategraph {sub}")), "{sub} --help:\n{text}");
    }
    let state = String::from_utf8(bare(&["state", "--help"]).output().unwrap().stdout).unwrap();
    assert!(state.contains("--checkpoint <N>") && state.contains("--thread <ID>"), "{state}");
}

#[test]
fn cli_usage_mistakes_exit_two_and_name_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let unknown = cli(store, &["threads", "--frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unexpected argument '--frobnicate'"));
    let bad = cli(store, &["state", "--thread", "t", "--checkpoint", "latest"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`latest` is not a checkpoint id"));
    let no_store = bare(&["threads"]).output().unwrap();
    assert_eq!(no_store.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_store.stderr).contains("pass --store DIR"));
    assert_eq!(cli(store, &["prune", "--thread", "t", "--keep", "-1"]).status.code(), Some(2));
    assert_eq!(bare(&[]).output().unwrap().status.code(), Some(2), "no subcommand");
}

#[tokio::test]
async fn cli_store_may_come_from_the_environment_or_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;
    let from_env = stdout(&bare(&["threads"]).env("STATEGRAPH_STORE", &store).output().unwrap());
    let after = stdout(&bare(&["threads", "--store"]).arg(&store).output().unwrap());
    assert_eq!(from_env, after);
    assert_eq!(from_env.lines().count(), 4, "{from_env}");
}

#[test]
fn cli_completions_are_scripts_for_the_shell_asked() {
    let bash = bare(&["completions", "bash"]).output().unwrap();
    assert_eq!(bash.status.code(), Some(0));
    let bash = String::from_utf8(bash.stdout).unwrap();
    assert!(bash.contains("complete -F _stategraph") && bash.contains("--checkpoint"), "{bash}");
    let zsh = String::from_utf8(bare(&["completions", "zsh"]).output().unwrap().stdout).unwrap();
    assert!(zsh.starts_with("#compdef stategraph"), "{zsh}");
    assert_eq!(bare(&["completions", "tcsh"]).output().unwrap().status.code(), Some(2));
}

/// `stategraph ... threads | head`: the reader goes away; the program stops
/// quietly (exit 0, nothing on stderr), as it does for `--help | head`.
#[tokio::test]
async fn cli_survives_a_closed_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write_store(&store).await;
    for args in
        [&["threads"][..], &["--json", "history", "--thread", "doc-degraded"], &["--help"], &["completions", "bash"]]
    {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = bare(&["--store"]).arg(&store).args(args).stdout(writer).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
}

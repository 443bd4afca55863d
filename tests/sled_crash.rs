//! kill -9 on the sled store: a child process (this test binary, re-run in
//! child mode) runs a graph until the parent kills it with SIGKILL inside a
//! chosen node; the parent then reopens the store and resumes by thread id.
//! Nodes append a line to a journal file as their side effect, so the parent
//! sees exactly which nodes ran, and how often.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process};
use std::time::Duration;

use common::{Counter, CounterUpdate};
use stategraph::checkpoint::CheckpointError;
use stategraph::prelude::*;

const CHILD: &str = "STATEGRAPH_CRASH_CHILD";

fn journal(dir: &Path, line: &str) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("journal")).unwrap();
    writeln!(file, "{line}").unwrap();
}

fn read_journal(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("journal")).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// In the child, the node named by `STATEGRAPH_HANG_IN` hangs after
/// journaling its start, waiting for the kill.
fn hang_here(node: &str) -> bool {
    std::env::var("STATEGRAPH_HANG_IN").is_ok_and(|n| n == node)
}

/// In the child, the node named by `STATEGRAPH_HANG_AFTER` hangs after its
/// side effect, at the boundary: done but not yet returned.
fn hang_after(node: &str) -> bool {
    std::env::var("STATEGRAPH_HANG_AFTER").is_ok_and(|n| n == node)
}

/// A node that journals its start (with its idempotency key) and its end.
fn journaling(
    dir: PathBuf,
    node: String,
) -> impl Fn(&Counter, &Ctx) -> futures::future::BoxFuture<'static, NodeResult<CounterUpdate>>
+ std::marker::Send
+ Sync
+ 'static {
    move |s: &Counter, ctx: &Ctx| {
        journal(&dir, &format!("start {node} {}", ctx.idempotency_key()));
        let (dir, node, count) = (dir.clone(), node.clone(), s.count);
        Box::pin(async move {
            if hang_here(&node) {
                std::future::pending::<()>().await;
            }
            journal(&dir, &format!("done {node}"));
            if hang_after(&node) {
                std::future::pending::<()>().await;
            }
            // Parallel workers only append: one step's tasks must not both
            // write the last-value `count`.
            Ok(if node.starts_with('w') { CounterUpdate::log(node) } else { CounterUpdate::step(count + 1, node) })
        })
    }
}

/// split -> w0..w4 in parallel -> join of all five -> merge.
fn fan(dir: PathBuf) -> StateGraph<Counter> {
    let workers: Vec<String> = (0..5).map(|i| format!("w{i}")).collect();
    let mut graph = StateGraph::new()
        .add_node("split", journaling(dir.clone(), "split".into()))
        .add_node("merge", journaling(dir.clone(), "merge".into()))
        .add_edge(START, "split")
        .add_join(workers.clone(), "merge");
    for w in &workers {
        graph = graph.add_node(w.clone(), journaling(dir.clone(), w.clone())).add_edge("split", w.clone());
    }
    graph
}

/// A chain of ten nodes; each journals "start <node> <idempotency key>" and
/// then "done <node>".
fn chain(dir: PathBuf) -> StateGraph<Counter> {
    let mut graph = StateGraph::new();
    for i in 0..10 {
        let name = format!("n{i}");
        graph = graph.add_node(name.clone(), journaling(dir.clone(), name.clone()));
        graph = if i == 0 { graph.add_edge(START, "n0") } else { graph.add_edge(format!("n{}", i - 1), name) };
    }
    graph
}

fn account_saga(dir: PathBuf) -> StateGraph<Counter> {
    let undo = |name: &'static str, dir: PathBuf| {
        move |_: &Counter| {
            journal(&dir, &format!("start {name}"));
            let (dir, hang) = (dir.clone(), hang_here(name));
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                journal(&dir, &format!("done {name}"));
                Ok(CounterUpdate::log(name))
            }
        }
    };
    StateGraph::new()
        .add_node("create_user", |_: &Counter| async { Ok(CounterUpdate::log("create_user")) })
        .add_node("create_subscription", |_: &Counter| async { Ok(CounterUpdate::log("create_subscription")) })
        .add_node("send_email", |_: &Counter| async { Err::<CounterUpdate, _>(NodeError::permanent("bounced")) })
        .add_node("cancel_subscription", undo("cancel_subscription", dir.clone()))
        .add_node("delete_user", undo("delete_user", dir))
        .add_edge(START, "create_user")
        .add_edge("create_user", "create_subscription")
        .add_edge("create_subscription", "send_email")
        .compensate("create_user", "delete_user")
        .compensate("create_subscription", "cancel_subscription")
}

/// A node that fails its attempts; in the child it hangs on attempt 3.
fn flaky(dir: PathBuf) -> StateGraph<Counter> {
    StateGraph::new()
        .add_node("flaky", move |_: &Counter, ctx: &Ctx| {
            journal(&dir, &format!("attempt {}", ctx.attempt()));
            let hang = ctx.attempt() == 3 && hang_here("flaky");
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                Err::<CounterUpdate, _>(NodeError::transient("upstream down"))
            }
        })
        .add_edge(START, "flaky")
        .retry("flaky", RetryPolicy::new(5).initial(Duration::from_millis(1)).jitter(false))
}

fn graph_for(scenario: &str, dir: &Path) -> CompiledGraph<Counter> {
    let builder = match scenario {
        "chain" | "chain-async" | "chain-unflushed" => chain(dir.to_owned()),
        "fan" => fan(dir.to_owned()),
        "saga" => account_saga(dir.to_owned()),
        _ => flaky(dir.to_owned()),
    };
    let graph = builder.compile().unwrap().with_checkpointer(open_store(scenario, dir).unwrap());
    if scenario.starts_with("chain-") { graph.with_durability(Durability::Async) } else { graph }
}

/// The scenario's store; `chain-unflushed` turns sled's own background
/// flush off, so that only the journal holds what the run wrote.
fn open_store(scenario: &str, dir: &Path) -> Result<SledSaver, CheckpointError> {
    let config = SledConfig::new(dir.join("db"));
    SledSaver::with_config(if scenario == "chain-unflushed" { config.flush_every_ms(None) } else { config })
}

/// Child mode: run the scenario until killed. A no-op in a normal test run.
#[tokio::test]
async fn crash_child() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let (scenario, dir) = spec.split_once(':').unwrap();
    let graph = graph_for(scenario, Path::new(dir));
    let _ = graph.invoke(Counter::default(), "t").await;
    panic!("the child should have been killed inside a node");
}

/// Runs the scenario in a child process and SIGKILLs it once the journal has
/// `until` lines and the child is hanging in `hang_in`.
fn run_and_kill(scenario: &str, hang_in: &str, until: impl Fn(&[String]) -> bool) -> PathBuf {
    run_and_kill_at(scenario, "STATEGRAPH_HANG_IN", hang_in, Duration::ZERO, until)
}

/// Like [`run_and_kill`], hanging where `hang_var` says, and waiting `linger`
/// before the kill.
fn run_and_kill_at(
    scenario: &str,
    hang_var: &str,
    hang_in: &str,
    linger: Duration,
    until: impl Fn(&[String]) -> bool,
) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("stategraph-crash-{scenario}-{hang_var}-{hang_in}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child: Child = Process::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{scenario}:{}", dir.display()))
        .env(hang_var, hang_in)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !until(&read_journal(&dir)) {
        assert!(child.try_wait().unwrap().is_none(), "the child exited early: {:?}", read_journal(&dir));
        assert!(std::time::Instant::now() < deadline, "the child never got there: {:?}", read_journal(&dir));
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(linger);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    dir
}

fn count(journal: &[String], prefix: &str) -> usize {
    journal.iter().filter(|l| l.starts_with(prefix)).count()
}

/// After a kill at `victim`, resumes and checks: the final state, finished
/// nodes ran once, the victim at most twice with one idempotency key, and a
/// history without gaps.
async fn check_recovery(scenario: &str, dir: &Path, victim: &str, nodes: &[String], expected_count: i64) {
    let graph = graph_for(scenario, dir);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert!(run.is_completed(), "{victim}");
    assert_eq!(run.state.count, expected_count, "{victim}");
    let mut log = run.state.log.clone();
    log.sort();
    let mut all = nodes.to_vec();
    all.sort();
    assert_eq!(log, all, "{victim}: every node's write, once");
    let journal = read_journal(dir);
    for node in nodes {
        let starts: Vec<&String> = journal.iter().filter(|l| l.starts_with(&format!("start {node} "))).collect();
        if node == victim {
            assert!((1..=2).contains(&starts.len()), "{victim}: {node} in {journal:?}");
            let key = |l: &str| l.rsplit(' ').next().unwrap().to_owned();
            assert_eq!(key(starts[0]), key(starts[starts.len() - 1]), "a re-executed task keeps its idempotency key");
        } else {
            assert_eq!(starts.len(), 1, "{victim}: {node} in {journal:?}");
            let done = journal.iter().filter(|l| **l == format!("done {node}")).count();
            assert_eq!(done, 1, "{victim}: {node} in {journal:?}");
        }
    }
    let history = graph.history("t", HistoryQuery::all()).await.unwrap();
    for pair in history.windows(2) {
        assert_eq!(pair[0].parent, Some(pair[1].checkpoint), "{victim}: the history has a gap");
    }
}

#[tokio::test]
async fn kill_9_crash_matrix_on_a_chain_mid_node_and_at_node_boundaries() {
    let nodes: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
    for victim in &nodes {
        for (var, marker) in [("STATEGRAPH_HANG_IN", "start"), ("STATEGRAPH_HANG_AFTER", "done")] {
            let needle = format!("{marker} {victim}");
            let dir =
                run_and_kill_at("chain", var, victim, Duration::ZERO, |j| j.iter().any(|l| l.starts_with(&needle)));
            check_recovery("chain", &dir, victim, &nodes, 10).await;
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

#[tokio::test]
async fn kill_9_crash_matrix_on_a_fan_out_and_join() {
    let nodes: Vec<String> = ["split", "w0", "w1", "w2", "w3", "w4", "merge"].map(String::from).to_vec();
    for victim in &nodes {
        for (var, marker) in [("STATEGRAPH_HANG_IN", "start"), ("STATEGRAPH_HANG_AFTER", "done")] {
            let needle = format!("{marker} {victim}");
            let own_done = format!("done {victim}");
            // A sibling has finished once its result is recorded, a moment
            // after its side effect: give the records time to land.
            let linger = if victim.starts_with('w') { Duration::from_millis(300) } else { Duration::ZERO };
            let dir = run_and_kill_at("fan", var, victim, linger, |j| {
                // For a worker: wait until its four siblings finished, so
                // their early task records are what keeps them from running
                // again.
                let siblings = j.iter().filter(|l| l.starts_with("done w") && **l != own_done).count();
                (!victim.starts_with('w') || siblings >= 4) && j.iter().any(|l| l.starts_with(&needle))
            });
            check_recovery("fan", &dir, victim, &nodes, 2).await;
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

#[tokio::test]
async fn kill_9_with_async_durability_loses_at_most_the_last_flush_interval() {
    // The child idles in n5 for longer than sled's flush interval (500 ms)
    // before the kill: everything before n5 was flushed in the background.
    let dir = run_and_kill_at("chain-async", "STATEGRAPH_HANG_IN", "n5", Duration::from_millis(1500), |j| {
        j.iter().any(|l| l.starts_with("start n5"))
    });
    let latest = graph_for("chain-async", &dir).state("t").await.unwrap();
    assert_eq!(latest.step, 5, "the checkpoint before n5 survived");
    let nodes: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
    check_recovery("chain-async", &dir, "n5", &nodes, 10).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn kill_9_loses_no_write_that_only_the_journal_holds() {
    // Async durability and no background flush: nothing was synced, and
    // sled wrote nothing after opening. The journal, in the page cache,
    // still has every checkpoint, and the reopened store replays it.
    let dir = run_and_kill("chain-unflushed", "n5", |j| j.iter().any(|l| l.starts_with("start n5")));
    let damaged = dir.with_extension("damaged");
    copy_dir(&dir.join("db"), &damaged);

    let latest = graph_for("chain-unflushed", &dir).state("t").await.unwrap();
    assert_eq!(latest.step, 5, "every checkpoint before n5 was replayed");
    let nodes: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
    check_recovery("chain-unflushed", &dir, "n5", &nodes, 10).await;

    // A flipped byte in the journal's first frame, with frames after it:
    // damage, not a torn last write, so the store does not open.
    let journal = damaged.join("stategraph.journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes[20] ^= 0xFF;
    std::fs::write(&journal, bytes).unwrap();
    let error = SledSaver::open(&damaged).unwrap_err().to_string();
    assert!(error.contains("stategraph.journal is damaged at byte 0"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&damaged).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn retry_attempt_count_survives_kill_9_on_sled() {
    let dir = run_and_kill("flaky", "flaky", |j| j.iter().any(|l| l == "attempt 3"));
    let graph = graph_for("flaky", &dir);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    assert!(matches!(run.outcome, Outcome::Failed { .. }));
    assert_eq!(read_journal(&dir), ["attempt 1", "attempt 2", "attempt 3", "attempt 3", "attempt 4", "attempt 5"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn compensation_kill_9_during_rollback_resumes_it_and_each_compensator_runs_once() {
    let dir = run_and_kill("saga", "delete_user", |j| j.iter().any(|l| l == "start delete_user"));
    let graph = graph_for("saga", &dir);
    let run = graph.resume("t", Resume::new()).await.unwrap();
    let Outcome::RolledBack { compensated, .. } = &run.outcome else { panic!("{:?}", run.outcome) };
    assert_eq!(compensated, &["create_subscription", "create_user"]);
    let journal = read_journal(&dir);
    assert_eq!(count(&journal, "done cancel_subscription"), 1, "{journal:?}");
    assert_eq!(count(&journal, "start cancel_subscription"), 1, "not re-run after the crash: {journal:?}");
    assert_eq!(count(&journal, "done delete_user"), 1, "{journal:?}");
    let snapshot = graph.state("t").await.unwrap();
    assert!(snapshot.next.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

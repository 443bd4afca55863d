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

/// A chain of ten nodes; each journals "start <node> <idempotency key>" and
/// then "done <node>".
fn chain(dir: PathBuf) -> StateGraph<Counter> {
    let mut graph = StateGraph::new();
    for i in 0..10 {
        let name = format!("n{i}");
        let dir = dir.clone();
        let node = name.clone();
        graph = graph.add_node(name.clone(), move |s: &Counter, ctx: &Ctx| {
            journal(&dir, &format!("start {node} {}", ctx.idempotency_key()));
            let hang = hang_here(&node);
            let (dir, node, count) = (dir.clone(), node.clone(), s.count);
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                journal(&dir, &format!("done {node}"));
                Ok(CounterUpdate::step(count + 1, node))
            }
        });
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
        "chain" => chain(dir.to_owned()),
        "saga" => account_saga(dir.to_owned()),
        _ => flaky(dir.to_owned()),
    };
    builder.compile().unwrap().with_checkpointer(SledSaver::open(dir.join("db")).unwrap())
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
    let dir = std::env::temp_dir().join(format!("stategraph-crash-{scenario}-{hang_in}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child: Child = Process::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{scenario}:{}", dir.display()))
        .env("STATEGRAPH_HANG_IN", hang_in)
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
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    dir
}

fn count(journal: &[String], prefix: &str) -> usize {
    journal.iter().filter(|l| l.starts_with(prefix)).count()
}

#[tokio::test]
async fn kill_9_inside_any_node_loses_nothing_and_repeats_no_finished_node() {
    for victim in ["n0", "n4", "n9"] {
        let dir = run_and_kill("chain", victim, |j| j.iter().any(|l| l.starts_with(&format!("start {victim} "))));
        let graph = graph_for("chain", &dir);
        let run = graph.resume("t", Resume::new()).await.unwrap();
        assert!(run.is_completed(), "{victim}");
        assert_eq!(run.state.count, 10, "{victim}");
        assert_eq!(run.state.log, (0..10).map(|i| format!("n{i}")).collect::<Vec<_>>(), "{victim}");
        let journal = read_journal(&dir);
        for i in 0..10 {
            let node = format!("n{i}");
            let starts: Vec<&String> = journal.iter().filter(|l| l.starts_with(&format!("start {node} "))).collect();
            let expected = if node == victim { 2 } else { 1 };
            assert_eq!(starts.len(), expected, "{victim}: {node} in {journal:?}");
            if node == victim {
                let key = |l: &str| l.rsplit(' ').next().unwrap().to_owned();
                assert_eq!(key(starts[0]), key(starts[1]), "a re-executed task keeps its idempotency key");
            }
            assert_eq!(count(&journal, &format!("done {node}")), 1, "{victim}: {node}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
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

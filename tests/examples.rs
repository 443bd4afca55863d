//! The flagship examples, run as their binaries (`cargo test` builds them):
//! each asserts what the example claims.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/examples/<name>`, next to this test's `deps` directory.
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let path: PathBuf = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is not built; run `cargo test` (which builds the examples)", path.display());
    Command::new(path)
}

fn run(mut command: Command) -> String {
    let output = command.output().expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{command:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[test]
fn invoice_example_policies_raise_the_success_rate_and_lose_no_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = example("invoice");
    command.arg("--store").arg(dir.path().join("store")).args(["--invoices", "200", "--seed", "1", "--json"]);
    let line = run(command);
    let report: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let (before, after) = (&report["before"], &report["after"]);
    let rate = |t: &serde_json::Value| t["processed"].as_f64().unwrap() / t["invoices"].as_f64().unwrap();
    assert!(rate(after) > rate(before), "{report}");
    for t in [before, after] {
        let accounted = t["processed"].as_u64().unwrap() + t["manual"].as_u64().unwrap();
        assert_eq!(accounted, 200, "every invoice is completed (perhaps degraded) or in the dead-letter queue: {t}");
    }
    assert_eq!(after["orphaned_drafts"], 0, "a failed posting voids its draft: {after}");
    assert!(after["degraded"].as_u64().unwrap() > 0, "inexact references degrade instead of failing: {after}");
}

#[test]
fn account_saga_example_undoes_in_reverse_order_and_resumes_a_crashed_rollback() {
    let dir = tempfile::tempdir().unwrap();
    for crash in [false, true] {
        let mut command = example("account_saga");
        let thread = if crash { "crashed" } else { "plain" };
        command.arg("--store").arg(dir.path()).args(["--thread", thread]);
        if crash {
            command.arg("--crash");
        }
        let out = run(command);
        assert!(out.contains("compensated, in order: create_subscription, create_user"), "{out}");
        let ledger = std::fs::read_to_string(dir.path().join(format!("{thread}.ledger"))).unwrap();
        let actions: Vec<&str> = ledger.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(
            actions,
            ["create_user", "create_subscription", "cancel_subscription", "delete_user"],
            "each side effect and each compensation exactly once (crash: {crash})"
        );
    }
}

#[test]
fn approval_example_ends_each_way_and_resumes_by_thread_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = example("approval");
    demo.arg("--store").arg(dir.path().join("demo"));
    let out = run(demo);
    for ending in [
        "done: refund 120.00 EUR to ACME",
        "not done: rejected (customer already refunded by bank transfer)",
        "done, as modified: refund 80.00 EUR to ACME",
        "not done: the approval came after the deadline",
    ] {
        assert!(out.contains(ending), "{ending:?} missing from:\n{out}");
    }
    let store = dir.path().join("cli");
    let step = |args: &[&str]| {
        let mut command = example("approval");
        command.arg("--store").arg(&store).args(args);
        run(command)
    };
    assert!(step(&["request", "--thread", "r1"]).contains("waiting for approval"));
    assert!(step(&["reject", "--thread", "r1", "--comment", "dup"]).contains("not done: rejected (dup)"));
}

/// The agent against its scripted provider: each of the reliability
/// lesson's five failure modes met and handled, with exact counts (the
/// script is fixed, so they are).
#[test]
fn agent_example_handles_each_failure_mode_and_counts_it() {
    let mut command = example("agent");
    command.arg("--json");
    let counts: serde_json::Value = serde_json::from_str(run(command).trim()).unwrap();
    let expect = |section: &str, value: serde_json::Value| assert_eq!(counts[section], value, "{section}: {counts}");
    // 429 (Retry-After waited out), 500 and a hang cut by the timeout, two
    // retries between them, then the backup model.
    expect(
        "llm_api",
        serde_json::json!({
            "rate_limited": 1, "server_errors": 1, "timeouts": 1, "retries": 2,
            "retry_after_waits": 1, "retry_after_respected": true, "failovers": 1,
        }),
    );
    // The third identical search is not run: a warning, the tool withdrawn,
    // temperature 0, and the next call is another tool.
    expect(
        "loop",
        serde_json::json!({ "identical_calls": 3, "loop_breaks": 1, "temperature_after": 0.0, "next_action": "fetch_page" }),
    );
    // Stopped on cost (from the provider's token usage), resumed with a
    // larger budget, and finished.
    expect(
        "budget",
        serde_json::json!({ "stops": 1, "limit": "cost", "resumed": 1, "completed": true, "billed_usd": 0.022294 }),
    );
    // search: retried, then its mirror; fetch_page: retried, then the cache,
    // then the failure told to the planner, which replanned.
    expect(
        "tool",
        serde_json::json!({
            "search_failures": 3, "search_retries": 2, "alternative_tool": 1,
            "fetch_failures": 2, "fetch_retries": 1, "cache_misses": 1, "reported_to_agent": 1, "replanned": true,
        }),
    );
    // Two answers off the contract: a retry that carried the feedback, the
    // reviewer, then a human.
    expect(
        "quality",
        serde_json::json!({ "contract_violations": 2, "retries_with_feedback": 1, "reviewer_escalations": 1, "human_approvals": 1 }),
    );
}

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

//! Every command README.md shows in a ```sh block, run as written, in the
//! README's order, in one scratch directory (so the inspector reads the
//! store the invoice example wrote just before), or, where a command is too
//! heavy for CI, in the reduced form [`COMMANDS`] gives with its reason.
//!
//! `cargo run [--release] --bin NAME --` and `cargo run [--release]
//! --example NAME [--]` stand for the binaries `cargo test` has built
//! (debug profile): a nested `cargo` would wait for the lock this test run
//! holds. A README command that [`COMMANDS`] neither runs nor lists fails
//! the test, and so does an entry the README no longer shows.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the test does with a README command.
enum Plan {
    /// Run it as written; its stdout must contain each of these.
    Run(&'static [&'static str]),
    /// Run this command instead (same conventions), for this reason.
    Reduced(&'static str, &'static str),
    /// Run it from the repository root, when `needs` (a path relative to
    /// the root) exists; this is why it might not.
    FromRoot { needs: &'static str, instead: &'static str, why_absent: &'static str },
    /// Not run, for this reason.
    Listed(&'static str),
}

/// Every command of the README, as written there (comments dropped).
const COMMANDS: &[(&str, Plan)] = &[
    (
        "cargo add stategraph serde --features serde/derive",
        Plan::Listed("adds the published crate to the reader's own project: needs a project and crates.io"),
    ),
    ("cargo add tokio --features macros,rt-multi-thread", Plan::Listed("as above: the reader's own project")),
    ("cargo run --example quickstart", Plan::Run(&["after the approval: Completed, approved = true"])),
    ("cargo test --workspace", Plan::Listed("the command that is running this test")),
    (
        "cargo run --example invoice -- --store ./stategraph-invoices --invoices 500 --seed 1",
        Plan::Run(&["| resilience | 95.8% |"]),
    ),
    ("cargo run --bin stategraph -- --store ./stategraph-invoices threads", Plan::Run(&["resilient-1-5 "])),
    (
        "cargo run --example agent",
        Plan::Run(&[
            "quality failure     2 contract violations -> 1 retry with feedback, reviewer 1, human approval 1",
        ]),
    ),
    (
        "cargo run --bin stategraph -- --store ./stategraph-invoices history --thread resilient-1-5",
        Plan::Run(&["degraded: match_po"]),
    ),
    (
        "cargo run --bin stategraph -- --store ./stategraph-invoices state --thread resilient-1-5",
        Plan::Run(&["thread resilient-1-5, checkpoint 6"]),
    ),
    (
        "cargo run --bin stategraph -- --store ./stategraph-invoices state --thread resilient-1-5 --checkpoint 3",
        Plan::Run(&["thread resilient-1-5, checkpoint 3", "snapshot at checkpoint 1"]),
    ),
    ("cargo run --bin stategraph -- --store ./stategraph-invoices dlq", Plan::Run(&["OCR service"])),
    (
        "cargo run --bin stategraph -- --store ./stategraph-invoices dot --thread resilient-1-5 | dot -Tsvg > run.svg",
        Plan::Run(&[]),
    ),
    (
        "cargo run --bin stategraph -- --store ./stategraph-invoices prune --thread resilient-1-5 --keep 1",
        Plan::Run(&["removed 5 checkpoint(s) of `resilient-1-5`"]),
    ),
    ("cargo run --bin stategraph -- completions bash > stategraph.bash", Plan::Run(&[])),
    ("cargo run --release --example bench -- --quick --jobs W1,W4", Plan::Run(&["\"W4_loop\""])),
    (
        "cargo run --release --example bench",
        Plan::Reduced(
            "cargo run --release --example bench -- --quick --jobs W5",
            "the full sizes take minutes in release; the same binary at quick sizes on one more job",
        ),
    ),
    (
        "python3 ../shared/bench/compare.py --check",
        Plan::FromRoot {
            needs: "../shared/bench/compare.py",
            instead: "python3 ../shared/bench/compare.py --help",
            why_absent: "the shared harness is not beside this clone (it is outside the repository)",
        },
    ),
];

/// The commands of README.md's ```sh blocks, in order.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let trimmed = line.trim();
        if in_sh {
            if trimmed.starts_with("```") {
                in_sh = false;
            } else {
                let command = trimmed.split(" #").next().unwrap_or_default().trim();
                if !command.is_empty() && !command.starts_with('#') {
                    commands.push(command.to_owned());
                }
            }
        } else if trimmed == "```sh" {
            in_sh = true;
        }
    }
    commands
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>/examples/<name>`, next to this test's `deps` directory.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let path = profile.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is not built; run `cargo test` (which builds the examples)", path.display());
    path
}

/// The command with `cargo run ...` replaced by the built binary. README
/// commands quote nothing, so words are split at spaces.
fn expand(command: &str) -> String {
    let mut words = command.split(' ').peekable();
    let mut out: Vec<String> = Vec::new();
    while let Some(word) = words.next() {
        if word != "cargo" || words.peek() != Some(&"run") {
            out.push(word.to_owned());
            continue;
        }
        words.next();
        words.next_if_eq(&"--release");
        let binary = match (words.next(), words.next()) {
            (Some("--bin"), Some("stategraph")) => PathBuf::from(env!("CARGO_BIN_EXE_stategraph")),
            (Some("--example"), Some(name)) => example_path(name),
            _ => panic!("a README command runs cargo in a way this test does not know: {command}"),
        };
        words.next_if_eq(&"--");
        out.push(format!("'{}'", binary.display()));
    }
    out.join(" ")
}

/// Runs `command` with `bash -c` (pipefail) in `dir` and returns its stdout; asserts it
/// succeeded.
fn sh(command: &str, dir: &Path) -> String {
    let expanded = expand(command);
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("set -eo pipefail; {expanded}"))
        .current_dir(dir)
        .env_remove("STATEGRAPH_STORE")
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "README command failed: {command}\n(run as: {expanded})\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Whether Graphviz can run; without it a `dot -Tsvg` command is skipped,
/// unless `STATEGRAPH_REQUIRE_DOT=1` (as in CI).
fn has_graphviz() -> bool {
    let found = Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    let required = std::env::var("STATEGRAPH_REQUIRE_DOT").is_ok_and(|v| v == "1");
    assert!(found || !required, "Graphviz `dot` is required (STATEGRAPH_REQUIRE_DOT=1) but cannot run");
    found
}

#[test]
fn every_readme_command_is_run_or_listed_with_a_reason() {
    let shown = readme_commands();
    let unknown: Vec<&String> = shown.iter().filter(|c| !COMMANDS.iter().any(|(k, _)| k == c)).collect();
    assert!(unknown.is_empty(), "README commands tests/readme.rs neither runs nor lists: {unknown:#?}");
    let stale: Vec<&str> = COMMANDS.iter().map(|(k, _)| *k).filter(|k| !shown.iter().any(|c| c == k)).collect();
    assert!(stale.is_empty(), "tests/readme.rs lists commands the README no longer shows: {stale:#?}");
}

#[test]
fn readme_commands_work_as_written() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for command in readme_commands() {
        let Some((_, plan)) = COMMANDS.iter().find(|(k, _)| *k == command) else { continue };
        match plan {
            Plan::Run(expected) => {
                if command.contains("dot -Tsvg") && !has_graphviz() {
                    eprintln!("skipped (no Graphviz): {command}");
                    continue;
                }
                let stdout = sh(&command, dir);
                for text in *expected {
                    assert!(stdout.contains(text), "{command}: {text:?} missing from:\n{stdout}");
                }
            }
            Plan::Reduced(instead, why) => {
                eprintln!("reduced ({why}): {command} -> {instead}");
                sh(instead, dir);
            }
            Plan::FromRoot { needs, instead, why_absent } => {
                if root().join(needs).exists() {
                    let help = sh(instead, &root());
                    for flag in command.split(' ').filter(|w| w.starts_with("--")) {
                        assert!(help.contains(flag), "{instead} does not know {flag}:\n{help}");
                    }
                } else {
                    eprintln!("skipped ({why_absent}): {command}");
                }
            }
            Plan::Listed(why) => eprintln!("not run ({why}): {command}"),
        }
    }
    // What the commands left: the picture, the completion script, the
    // pruned thread.
    if has_graphviz() {
        assert!(std::fs::read_to_string(dir.join("run.svg")).unwrap().contains("<svg"));
    }
    assert!(std::fs::read_to_string(dir.join("stategraph.bash")).unwrap().contains("_stategraph"));
}

#[test]
fn expand_replaces_cargo_run_by_the_built_binary() {
    let bin = env!("CARGO_BIN_EXE_stategraph");
    assert_eq!(expand("cargo run --bin stategraph -- --store d dlq"), format!("'{bin}' --store d dlq"));
    assert_eq!(
        expand("cargo run --bin stategraph -- dot --thread t | dot -Tsvg > run.svg"),
        format!("'{bin}' dot --thread t | dot -Tsvg > run.svg")
    );
    let quickstart = example_path("quickstart");
    assert_eq!(expand("cargo run --example quickstart"), format!("'{}'", quickstart.display()));
    assert_eq!(expand("cargo run --release --example quickstart -- --x"), format!("'{}' --x", quickstart.display()));
    assert_eq!(expand("python3 x.py --check"), "python3 x.py --check");
}

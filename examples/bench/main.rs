//! The LangGraph benchmark's workloads on stategraph, side by side with
//! `../shared/bench/langgraph/bench.py` (same graphs, state, reducers,
//! counts and verification), plus two limits: the store's raw flush rate and
//! a hand-written loop with no engine.
//!
//! ```sh
//! cargo run --release --example bench -- [--quick] [--jobs W1,W4]
//! python3 ../shared/bench/compare.py      # beside LangGraph and the Rust peers
//! ```
//!
//! Each job runs in its own child process (this binary with `--job NAME`),
//! so `peak_rss_mb` is the job's own. Output: first an `env` line, then one
//! JSON line per workload and variant: a job prints one per name it has (the
//! W2 sled-sync job also prints the S0 flush floor, timed in sections
//! alternating with its own). Stores go to a temporary directory under
//! `BENCH_TMPDIR` (or the system's temp dir) and are removed afterwards.

mod graphs;
mod jobs;
mod measure;

use std::process::{Command, ExitCode};

use serde_json::json;

use jobs::{JOBS, Scratch, Sizes};

const USAGE: &str = "usage: bench [--quick] [--jobs PREFIX,...]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut quick, mut prefixes, mut job) = (false, Vec::new(), None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--jobs" => {
                let Some(list) = args.next() else { return usage() };
                prefixes = list.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect();
            }
            "--job" => job = args.next(),
            _ => return usage(),
        }
    }
    let sizes = if quick { Sizes::QUICK } else { Sizes::FULL };
    match job {
        Some(name) => run_one(&name, sizes),
        None => run_all(&prefixes, quick),
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Child mode: runs one job in this process and prints its lines.
fn run_one(name: &str, sizes: Sizes) -> ExitCode {
    let Some((_, job)) = JOBS.iter().find(|(names, _)| names.contains(&name)) else {
        eprintln!("no job named {name:?}");
        return ExitCode::from(2);
    };
    let result = Scratch::new().and_then(|scratch| job(sizes, &scratch));
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{name}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every job matching `prefixes` (all when empty), each in a child.
fn run_all(prefixes: &[String], quick: bool) -> ExitCode {
    println!("{}", env_line(quick));
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("cannot find this binary to run the jobs: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut failures = 0;
    let selected =
        |names: &[&str]| prefixes.is_empty() || names.iter().any(|n| prefixes.iter().any(|p| n.starts_with(p)));
    for (names, _) in JOBS.iter().filter(|(names, _)| selected(names)) {
        let name = names[0];
        let mut child = Command::new(&exe);
        child.args(["--job", name]);
        if quick {
            child.arg("--quick");
        }
        let output = match child.output() {
            Ok(output) => output,
            Err(error) => {
                eprintln!("cannot start job {name}: {error}");
                failures += 1;
                continue;
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let records: Option<Vec<serde_json::Value>> =
            stdout.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).ok()).collect();
        match (output.status.success(), records) {
            // A job prints one line per name it has, in order.
            (true, Some(records)) if records.len() == names.len() => {
                for (mut record, job) in records.into_iter().zip(names.iter()) {
                    record["job"] = json!(job);
                    println!("{record}");
                }
            }
            _ => {
                failures += 1;
                let tail: String = stderr.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
                println!(
                    "{}",
                    json!({"workload": name, "job": name, "error": output.status.to_string(), "stderr_tail": tail})
                );
            }
        }
    }
    if failures > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The first line: what ran where.
fn env_line(quick: bool) -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|m| m.trim_start_matches([' ', '\t', ':']));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: Option<f64> = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|k| k.parse().ok());
    json!({
        "workload": "env",
        "engine": format!("stategraph {}", env!("CARGO_PKG_VERSION")),
        "store": "sled 0.34 (SledSaver)",
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "cpu_model": cpu_model,
        "cpu_count": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "mem_total_gib": mem_kib.map(|k| measure::round(k / 1024.0 / 1024.0, 1)),
        "durability_modes": ["sync", "async", "exit"],
        "sizes": if quick { "quick" } else { "full" },
    })
}

//! `stategraph`: inspect a sled store without the program that wrote it.
//!
//! ```sh
//! cargo run --bin stategraph -- --store DIR threads
//! cargo run --bin stategraph -- --store DIR history --thread ID
//! cargo run --bin stategraph -- --store DIR state --thread ID [--checkpoint N]
//! cargo run --bin stategraph -- --store DIR dlq
//! cargo run --bin stategraph -- --store DIR dot --thread ID | dot -Tsvg > run.svg
//! cargo run --bin stategraph -- --store DIR prune --thread ID --keep N
//! ```
//!
//! Tables for people by default; `--json` prints JSON (one object per line
//! for lists) for scripts. Any error is one line on stderr and exit code 1;
//! a usage mistake exits with 2.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use stategraph::SledSaver;
use stategraph::checkpoint::{CheckpointId, Checkpointer, HistoryQuery};
use stategraph::exec::inspect::{self, CheckpointView};

const USAGE: &str = "usage: stategraph --store DIR [--json] <command>
commands:
  threads                              every thread: id, status, step, updated
  history --thread ID                  the thread's checkpoints, newest first
  state --thread ID [--checkpoint N]   the stored state (snapshot + updates since)
  dlq                                  the dead-letter queue
  dot --thread ID                      what the run did, as Graphviz DOT
  prune --thread ID --keep N           keep the newest N checkpoints";

/// A parsed command line.
struct Args {
    store: PathBuf,
    json: bool,
    command: String,
    thread: Option<String>,
    checkpoint: Option<CheckpointId>,
    keep: Option<usize>,
}

/// What went wrong: a usage mistake (exit 2) or a failure (exit 1).
enum Failure {
    Usage(String),
    Error(String),
}

impl<E: std::error::Error> From<E> for Failure {
    /// The error and its causes, `: `-separated.
    fn from(e: E) -> Self {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(source) = cause {
            message = format!("{message}: {source}");
            cause = source.source();
        }
        Failure::Error(message)
    }
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, Failure> {
    let usage = |m: String| Failure::Usage(m);
    let (mut store, mut json, mut command) = (None, false, None);
    let (mut thread, mut checkpoint, mut keep) = (None, None, None);
    while let Some(arg) = argv.next() {
        let mut value = |flag: &str| argv.next().ok_or_else(|| usage(format!("{flag} needs a value")));
        match arg.as_str() {
            "--store" => store = Some(PathBuf::from(value("--store")?)),
            "--json" => json = true,
            "--thread" => thread = Some(value("--thread")?),
            "--checkpoint" => {
                let n = value("--checkpoint")?;
                let n = n.parse().map_err(|_| usage(format!("--checkpoint: `{n}` is not a checkpoint id")))?;
                checkpoint = Some(CheckpointId::new(n));
            }
            "--keep" => {
                let n = value("--keep")?;
                keep = Some(n.parse().map_err(|_| usage(format!("--keep: `{n}` is not a count")))?);
            }
            "-h" | "--help" => return Err(usage(String::new())),
            flag if flag.starts_with('-') => return Err(usage(format!("unknown option `{flag}`"))),
            word if command.is_none() => command = Some(word.to_owned()),
            word => return Err(usage(format!("unexpected argument `{word}`"))),
        }
    }
    let store = store.ok_or_else(|| usage("--store DIR is required".into()))?;
    let command = command.ok_or_else(|| usage("no command given".into()))?;
    Ok(Args { store, json, command, thread, checkpoint, keep })
}

impl Args {
    fn thread(&self) -> Result<&str, Failure> {
        self.thread.as_deref().ok_or_else(|| Failure::Usage(format!("`{}` needs --thread ID", self.command)))
    }
}

/// Opens an existing store; never creates one.
fn open(store: &std::path::Path) -> Result<SledSaver, Failure> {
    if !store.join("conf").is_file() || !store.join("db").is_file() {
        return Err(Failure::Error(format!("no stategraph store at {}", store.display())));
    }
    Ok(SledSaver::open(store)?)
}

/// `2026-11-23 14:05:09Z` from milliseconds since the Unix epoch.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}Z")
}

fn json_line(value: &impl serde::Serialize) -> Result<String, Failure> {
    Ok(serde_json::to_string(value)?)
}

async fn threads(saver: &SledSaver, json: bool) -> Result<String, Failure> {
    let mut out = String::new();
    if !json {
        writeln!(out, "{:<36} {:<12} {:>6}  updated", "thread", "status", "step")?;
    }
    for thread in saver.threads().await?.items {
        let Some(summary) = inspect::thread_summary(saver, &thread).await? else { continue };
        if json {
            writeln!(out, "{}", json_line(&summary)?)?;
        } else {
            let status = summary.status.as_str();
            writeln!(out, "{:<36} {status:<12} {:>6}  {}", summary.thread, summary.step, utc(summary.updated_at_ms))?;
        }
    }
    Ok(out)
}

fn describe(view: &CheckpointView) -> String {
    let writers: Vec<&str> = view.writes.iter().map(|w| w.node.as_str()).collect();
    let mut text = format!("{:?}", view.source).to_lowercase();
    if !writers.is_empty() {
        write!(text, ": {}", writers.join(", ")).ok();
    }
    if let Some(rollback) = &view.rollback {
        write!(text, " (rollback after {}: undone {})", rollback.failed_node, rollback.compensated.join(", ")).ok();
    }
    text
}

async fn history(saver: &SledSaver, thread: &str, json: bool) -> Result<String, Failure> {
    let records = saver.history(thread, HistoryQuery::all()).await?;
    if records.is_empty() {
        return Err(Failure::Error(format!("no thread `{thread}` in this store")));
    }
    let mut out = String::new();
    if !json {
        writeln!(out, "{:>10} {:>5} {:<8} {:<20} {:<40} next", "checkpoint", "step", "kind", "written", "what")?;
    }
    for record in &records {
        let view = inspect::view_checkpoint(thread, record)?;
        if json {
            writeln!(out, "{}", json_line(&view)?)?;
        } else {
            let kind = if view.snapshot { "snapshot" } else { "delta" };
            writeln!(
                out,
                "{:>10} {:>5} {kind:<8} {:<20} {:<40} {}",
                view.id.as_u64(),
                view.step,
                utc(view.created_at_ms),
                describe(&view),
                view.next.join(", ")
            )?;
        }
    }
    Ok(out)
}

async fn state(saver: &SledSaver, thread: &str, at: Option<CheckpointId>, json: bool) -> Result<String, Failure> {
    let Some(state) = inspect::state_json(saver, thread, at).await? else {
        return Err(Failure::Error(match at {
            Some(id) => format!("thread `{thread}` has no checkpoint {}", id.as_u64()),
            None => format!("no thread `{thread}` in this store"),
        }));
    };
    if json {
        return Ok(format!("{}\n", json_line(&state)?));
    }
    let mut out = format!(
        "thread {thread}, checkpoint {}\nsnapshot at checkpoint {}:\n{}\n",
        state.checkpoint.as_u64(),
        state.snapshot_at.as_u64(),
        serde_json::to_string_pretty(&state.snapshot)?
    );
    if !state.updates_since.is_empty() {
        writeln!(out, "updates since (the graph's reducers apply them):")?;
        for (at, write) in &state.updates_since {
            writeln!(out, "  checkpoint {:>6} {:<24} {}", at.as_u64(), write.node, write.update)?;
        }
    }
    Ok(out)
}

async fn dlq(saver: &SledSaver, json: bool) -> Result<String, Failure> {
    let mut out = String::new();
    if !json {
        writeln!(out, "{:<36} {:<20} {:>8} {:<12} {:<20} error", "thread", "node", "attempts", "outcome", "at")?;
    }
    for letter in saver.dead_letters().await?.items {
        if json {
            writeln!(out, "{}", json_line(&letter)?)?;
        } else {
            writeln!(
                out,
                "{:<36} {:<20} {:>8} {:<12} {:<20} {}",
                letter.thread,
                letter.node,
                letter.attempts,
                letter.outcome,
                utc(letter.at_ms),
                letter.error
            )?;
        }
    }
    Ok(out)
}

async fn prune(saver: &SledSaver, thread: &str, keep: usize, json: bool) -> Result<String, Failure> {
    if saver.checkpoint(thread, None).await?.is_none() {
        return Err(Failure::Error(format!("no thread `{thread}` in this store")));
    }
    let removed = saver.prune(thread, keep).await?;
    saver.flush().await?;
    Ok(if json {
        format!("{}\n", serde_json::json!({ "thread": thread, "removed": removed }))
    } else {
        format!("removed {removed} checkpoint(s) of `{thread}`\n")
    })
}

async fn run(args: &Args) -> Result<String, Failure> {
    let saver = open(&args.store)?;
    match args.command.as_str() {
        "threads" => threads(&saver, args.json).await,
        "history" => history(&saver, args.thread()?, args.json).await,
        "state" => state(&saver, args.thread()?, args.checkpoint, args.json).await,
        "dlq" => dlq(&saver, args.json).await,
        "dot" => {
            let thread = args.thread()?;
            let dot = inspect::trace_dot(&saver, thread).await?;
            dot.ok_or_else(|| Failure::Error(format!("no thread `{thread}` in this store")))
        }
        "prune" => {
            let keep = args.keep.ok_or_else(|| Failure::Usage("`prune` needs --keep N".into()))?;
            prune(&saver, args.thread()?, keep, args.json).await
        }
        other => Err(Failure::Usage(format!("unknown command `{other}`"))),
    }
}

fn main() -> ExitCode {
    let result = parse(std::env::args().skip(1)).and_then(|args| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(run(&args))
    });
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            if !message.is_empty() {
                eprintln!("stategraph: {message}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Error(message)) => {
            eprintln!("stategraph: {message}");
            ExitCode::FAILURE
        }
    }
}

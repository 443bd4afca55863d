//! The command line, declared with clap's derive: every subcommand has
//! `--help`, the program has `--version`, and an unknown flag or a missing
//! value is a usage error (exit code 2).
//!
//! A new subcommand is a variant of [`Command`] with its own argument
//! struct, and a module under `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;
use stategraph::checkpoint::CheckpointId;

/// Inspect a stategraph store (the sled store `SledSaver` writes) without
/// the program that wrote it.
#[derive(Debug, Parser)]
#[command(name = "stategraph", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// The store's directory (opened as it is, never created).
    #[arg(long, value_name = "DIR", global = true, env = "STATEGRAPH_STORE")]
    pub(crate) store: Option<PathBuf>,
    /// Print JSON for scripts (one object per line for lists) instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// What to show.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Every thread: id, status, step, last write.
    Threads,
    /// A thread's checkpoints, newest first: what wrote each, the nodes that
    /// degraded, failed, were skipped, replaced or compensated, and what is next.
    History(ThreadArgs),
    /// The stored state of a thread: the nearest snapshot and the updates since.
    State(StateArgs),
    /// The dead-letter queue: runs that failed for good.
    Dlq,
    /// What a thread's run did, as Graphviz DOT (render with `dot -Tsvg`).
    Dot(ThreadArgs),
    /// Remove a thread's old checkpoints.
    Prune(PruneArgs),
    /// A shell completion script, on standard output.
    Completions(CompletionsArgs),
}

/// A subcommand about one thread.
#[derive(Debug, Args)]
pub(crate) struct ThreadArgs {
    /// The thread id.
    #[arg(long, value_name = "ID")]
    pub(crate) thread: String,
}

/// `state`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// The thread id.
    #[arg(long, value_name = "ID")]
    pub(crate) thread: String,
    /// A checkpoint id of the thread (see `history`); its latest when not given.
    #[arg(long, value_name = "N", value_parser = parse_checkpoint)]
    pub(crate) checkpoint: Option<CheckpointId>,
}

/// `prune`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// The thread id.
    #[arg(long, value_name = "ID")]
    pub(crate) thread: String,
    /// How many of the newest checkpoints to keep. The delta chains they need,
    /// back to a snapshot, are kept too, and so is the latest checkpoint.
    #[arg(long, value_name = "N")]
    pub(crate) keep: usize,
}

/// `completions`' arguments.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

fn parse_checkpoint(text: &str) -> Result<CheckpointId, String> {
    text.parse().map(CheckpointId::new).map_err(|_| format!("`{text}` is not a checkpoint id (a number)"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn store_and_json_go_before_or_after_the_subcommand() {
        let cli = Cli::try_parse_from(["stategraph", "state", "--thread", "t", "--store", "d", "--json"]).unwrap();
        assert_eq!(cli.store, Some(PathBuf::from("d")));
        assert!(cli.json);
        let Command::State(args) = cli.command else { panic!("state") };
        assert_eq!((args.thread.as_str(), args.checkpoint), ("t", None));
    }

    #[test]
    fn a_checkpoint_that_is_not_a_number_is_a_usage_error() {
        let error = Cli::try_parse_from(["stategraph", "state", "--thread", "t", "--checkpoint", "x"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("`x` is not a checkpoint id"), "{error}");
    }
}

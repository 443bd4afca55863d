//! One module per subcommand; [`run`] picks it.

mod completions;
mod dlq;
mod dot;
mod history;
mod prune;
mod state;
mod threads;

use clap::CommandFactory as _;
use clap::error::ErrorKind;
use stategraph::SledSaver;

use crate::args::{Cli, Command};
use crate::failure::Failure;
use crate::output::Out;
use crate::store;

/// Runs the command `cli` names, writing to `out`.
pub(crate) async fn run(cli: &Cli, out: &mut Out) -> Result<(), Failure> {
    let json = cli.json;
    match &cli.command {
        Command::Completions(args) => completions::run(args, out),
        Command::Threads => threads::run(&open(cli)?, json, out).await,
        Command::History(args) => history::run(&open(cli)?, &args.thread, json, out).await,
        Command::State(args) => state::run(&open(cli)?, args, json, out).await,
        Command::Dlq => dlq::run(&open(cli)?, json, out).await,
        Command::Dot(args) => dot::run(&open(cli)?, &args.thread, out).await,
        Command::Prune(args) => prune::run(&open(cli)?, args, json, out).await,
    }
}

/// The store `--store` names; without one, a usage error.
fn open(cli: &Cli) -> Result<SledSaver, Failure> {
    let Some(dir) = &cli.store else {
        let message = "the store is not given: pass --store DIR (or set STATEGRAPH_STORE)";
        return Err(Failure::Usage(Cli::command().error(ErrorKind::MissingRequiredArgument, message)));
    };
    store::open(dir)
}

/// The error for a thread the store does not hold.
fn no_thread(thread: &str) -> Failure {
    Failure::error(format!("no thread `{thread}` in this store"))
}

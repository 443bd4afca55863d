//! `stategraph`: inspect a sled store without the program that wrote it.
//!
//! ```sh
//! stategraph --store DIR threads
//! stategraph --store DIR history --thread ID
//! stategraph --store DIR state --thread ID --checkpoint N
//! stategraph --store DIR dlq
//! stategraph --store DIR dot --thread ID | dot -Tsvg > run.svg
//! stategraph --store DIR prune --thread ID --keep N
//! stategraph completions bash > /etc/bash_completion.d/stategraph
//! ```
//!
//! Tables for people by default; `--json` prints JSON (one object per line
//! for lists) for scripts. Any error is one line on stderr and exit code 1;
//! a usage mistake exits with 2 and says what clap expected. A closed
//! standard output (`stategraph ... threads | head`) ends the program
//! quietly with exit code 0.
//!
//! One module per concern: [`args`] (the command line, clap), [`commands`]
//! (one file per subcommand), [`output`] (stdout, tables, dates),
//! [`store`] (opening a store without creating one) and [`failure`] (how
//! each kind of error ends the process).

mod args;
mod commands;
mod failure;
mod output;
mod store;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::Cli;
use crate::failure::Failure;
use crate::output::Out;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Out::stdout();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::from)
        .and_then(|runtime| runtime.block_on(commands::run(&cli, &mut out)))
        .and_then(|()| out.flush());
    match result {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Usage(error)) => error.exit(),
        Err(Failure::Error(message)) => {
            eprintln!("stategraph: {message}");
            ExitCode::FAILURE
        }
    }
}

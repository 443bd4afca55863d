//! `completions SHELL`: a completion script for bash, zsh, fish, elvish or
//! PowerShell.

use clap::CommandFactory as _;

use crate::args::{Cli, CompletionsArgs};
use crate::failure::Failure;
use crate::output::Out;

/// Writes the script. It is generated into memory first: clap_complete
/// panics on a failed write, and standard output may be a closed pipe.
pub(super) fn run(args: &CompletionsArgs, out: &mut Out) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "stategraph", &mut script);
    out.text(&String::from_utf8_lossy(&script))
}

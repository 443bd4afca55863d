//! How a command fails, and so how the process ends.

use std::io;

use stategraph::CheckpointError;

/// What went wrong.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A usage mistake: clap prints it with the usage, exit code 2.
    Usage(clap::Error),
    /// A failure: one line on stderr, exit code 1.
    Error(String),
    /// Standard output was closed (`... | head`): stop quietly, exit code 0.
    Closed,
}

impl Failure {
    /// A failure with this message.
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Failure::Error(message.into())
    }
}

/// The error and its causes, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(source) = cause {
        message = format!("{message}: {source}");
        cause = source.source();
    }
    message
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe { Failure::Closed } else { Failure::Error(chain(&error)) }
    }
}

impl From<CheckpointError> for Failure {
    fn from(error: CheckpointError) -> Self {
        Failure::Error(chain(&error))
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Failure::Error(chain(&error))
    }
}

use std::error::Error as StdError;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a node returns: its output, or why it failed.
pub type NodeResult<T> = Result<T, NodeError>;

/// The kind of a node failure, which decides whether a retry policy retries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// May succeed if tried again (network errors, rate limits). Retried.
    Transient,
    /// Will fail again (bad request, business rule). Not retried.
    Permanent,
    /// The attempt ran past its time limit. Retried.
    Timeout,
    /// The node ran but its output failed a quality check. Retried, and the next
    /// attempt sees the error through [`Ctx::last_error`](crate::node::Ctx::last_error).
    InvalidOutput,
    /// The node was not called: the circuit breaker guarding its service is
    /// open. Not retried (the point of a breaker is to stop calling).
    Unavailable,
    /// Not a failure: the node asked for human input with
    /// [`Ctx::interrupt`](crate::node::Ctx::interrupt).
    Interrupted,
}

impl ErrorKind {
    /// Whether a retry policy retries errors of this kind.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Transient | ErrorKind::Timeout | ErrorKind::InvalidOutput)
    }

    /// The kind's name, as shown in records and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidOutput => "invalid output",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a node failed, as the node reports it.
///
/// Any error converts with `?` and counts as [`ErrorKind::Transient`]; say
/// otherwise with [`NodeError::permanent`] and its siblings:
///
/// ```
/// use stategraph::node::{ErrorKind, NodeError, NodeResult};
///
/// fn parse(amount: &str) -> NodeResult<u32> {
///     amount.parse::<u32>().map_err(NodeError::permanent)
/// }
/// assert_eq!(parse("x").unwrap_err().kind(), ErrorKind::Permanent);
///
/// fn fetch() -> NodeResult<()> {
///     Err(std::io::Error::other("connection reset"))?
/// }
/// assert_eq!(fetch().unwrap_err().kind(), ErrorKind::Transient);
/// ```
pub struct NodeError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl NodeError {
    /// An error of the given kind with a message.
    pub fn new(kind: ErrorKind, message: impl fmt::Display) -> Self {
        Self { kind, message: message.to_string(), source: None }
    }

    /// A failure that may pass if tried again.
    pub fn transient(error: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Transient, error)
    }

    /// A failure that will not pass if tried again.
    pub fn permanent(error: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Permanent, error)
    }

    /// An output that failed a quality check; retried with the error as feedback.
    pub fn invalid_output(error: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidOutput, error)
    }

    /// An attempt that ran out of time.
    pub fn timeout(error: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Timeout, error)
    }

    pub(crate) fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "interrupted: waiting for a resume value")
    }

    /// Keeps `source` as the cause of this error.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying error, when one was kept.
    pub fn source(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// The recorded form of this error, as stored in checkpoints and outcomes.
    pub fn to_task_error(&self) -> TaskError {
        TaskError { kind: self.kind, message: self.message.clone() }
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for NodeError {
    fn from(error: E) -> Self {
        Self { kind: ErrorKind::Transient, message: error.to_string(), source: Some(Box::new(error)) }
    }
}

impl fmt::Debug for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.kind, self.message)
    }
}

/// A node failure as recorded: in a checkpoint, a snapshot, an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind} error: {message}")]
pub struct TaskError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// What the node said.
    pub message: String,
}

impl TaskError {
    /// The error as a node would return it, kind preserved.
    pub fn to_node_error(&self) -> NodeError {
        NodeError::new(self.kind, &self.message)
    }
}

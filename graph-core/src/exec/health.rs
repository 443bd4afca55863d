//! What went wrong in a run that still went on: degraded, failed (optional),
//! skipped and replaced nodes.

use serde::{Deserialize, Serialize};

use crate::node::TaskError;

/// The nodes of a run that did not simply succeed, for a caller to say what
/// is missing from the result. Empty for a run where everything succeeded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHealth {
    /// Nodes that failed and contributed their default update instead.
    pub degraded: Vec<Degraded>,
    /// Optional nodes that failed; the run went on without them.
    pub failed: Vec<NodeFailure>,
    /// Nodes that did not run because they could only be reached through
    /// failed or skipped nodes.
    pub skipped: Vec<Skipped>,
    /// Nodes whose fallback ran in their place.
    pub fallbacks: Vec<FallbackUsed>,
}

impl RunHealth {
    /// Whether every node that ran succeeded on its own.
    pub fn is_clean(&self) -> bool {
        self.degraded.is_empty() && self.failed.is_empty() && self.skipped.is_empty() && self.fallbacks.is_empty()
    }

    /// The degraded nodes whose output `node` rests on.
    pub fn degraded_inputs(&self, node: &str) -> Vec<&str> {
        self.degraded.iter().filter(|d| d.tainted.iter().any(|t| t == node)).map(|d| d.node.as_str()).collect()
    }

    /// Whether `node` was skipped, and why: the failed node that cut it off.
    pub fn skip_cause(&self, node: &str) -> Option<&str> {
        self.skipped.iter().find(|s| s.node == node).map(|s| s.cause.as_str())
    }
}

/// A degraded node and the nodes that ran downstream of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Degraded {
    /// The node that failed and degraded.
    pub node: String,
    /// Its last error.
    pub error: TaskError,
    /// Nodes that ran after it and are reachable from it: they rest on
    /// degraded input.
    pub tainted: Vec<String>,
}

/// A node that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFailure {
    /// The node.
    pub node: String,
    /// Its last error.
    pub error: TaskError,
}

/// A node that was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The node.
    pub node: String,
    /// The failed node it could only be reached through.
    pub cause: String,
}

/// A node replaced by its fallback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackUsed {
    /// The node that failed.
    pub node: String,
    /// The node that ran instead.
    pub fallback: String,
    /// The failed node's last error.
    pub error: TaskError,
}

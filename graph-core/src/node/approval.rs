//! Human approval of a risky action, on top of interrupts: a node asks, the
//! run stops, and a later resume approves, rejects (with a comment) or
//! modifies the action. A decision made past the request's deadline counts as
//! a rejection, and the verdict says so.

use serde::{Deserialize, Serialize};

use super::{Ctx, NodeResult};
use crate::exec::Resume;

/// How much harm the action can do if it is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Easily undone.
    Low,
    /// Costly to undo.
    Medium,
    /// Hard or impossible to undo (payments, deletions, outbound email).
    High,
}

/// What a node asks a human to approve: the interrupt's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// The action, in a line (`"refund 1,200 EUR to ACME"`).
    pub action: String,
    /// Anything that helps decide, as JSON.
    pub details: serde_json::Value,
    /// How risky it is.
    pub risk: Risk,
    /// The latest decision time, in milliseconds since the Unix epoch. Derive
    /// it from the state (e.g. when the request was first made) so that it
    /// is the same each time the node runs.
    pub deadline_ms: Option<u64>,
}

impl ApprovalRequest {
    /// A request for `action` at `risk`, without details or deadline.
    pub fn new(action: impl Into<String>, risk: Risk) -> Self {
        Self { action: action.into(), details: serde_json::Value::Null, risk, deadline_ms: None }
    }

    /// Adds details for the approver.
    pub fn details(mut self, details: impl Serialize) -> Self {
        self.details = serde_json::to_value(details).unwrap_or(serde_json::Value::Null);
        self
    }

    /// Sets the deadline, in milliseconds since the Unix epoch.
    pub fn deadline_ms(mut self, deadline_ms: u64) -> Self {
        self.deadline_ms = Some(deadline_ms);
        self
    }
}

/// A human's answer: the resume value of an approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What was decided.
    pub choice: Choice,
    /// When, in milliseconds since the Unix epoch (checked against the deadline).
    pub decided_at_ms: u64,
}

/// What a human can decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Go ahead with the action as asked.
    Approve,
    /// Do not; the comment says why.
    Reject {
        /// Why.
        comment: String,
    },
    /// Go ahead with this action instead.
    Modify {
        /// The action to take.
        action: String,
    },
}

impl Decision {
    /// Approve, now.
    pub fn approve() -> Self {
        Self::at(Choice::Approve, now_ms())
    }

    /// Reject, now, saying why.
    pub fn reject(comment: impl Into<String>) -> Self {
        Self::at(Choice::Reject { comment: comment.into() }, now_ms())
    }

    /// Approve a different action, now.
    pub fn modify(action: impl Into<String>) -> Self {
        Self::at(Choice::Modify { action: action.into() }, now_ms())
    }

    /// `choice`, decided at `decided_at_ms`.
    pub fn at(choice: Choice, decided_at_ms: u64) -> Self {
        Self { choice, decided_at_ms }
    }

    /// The resume value that hands this decision to the waiting node.
    pub fn into_resume(self) -> Resume {
        Resume::value(serde_json::to_value(self).unwrap_or(serde_json::Value::Null))
    }
}

/// What an approval came to, as the node sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approved: do `action` (the one asked for, or the approver's change).
    Approved {
        /// The action to take.
        action: String,
        /// Whether the approver changed it.
        modified: bool,
    },
    /// Rejected by the approver.
    Rejected {
        /// Their comment.
        comment: String,
    },
    /// Decided after the deadline: counts as rejected.
    Expired {
        /// The deadline.
        deadline_ms: u64,
        /// When the decision came.
        decided_at_ms: u64,
    },
}

impl Verdict {
    /// The action to take, if approved.
    pub fn approved_action(&self) -> Option<&str> {
        match self {
            Verdict::Approved { action, .. } => Some(action),
            _ => None,
        }
    }
}

impl Ctx {
    /// Asks a human to approve `request`: the run stops
    /// ([`Interrupted`](crate::exec::Outcome::Interrupted), the request as
    /// payload) until resumed with a [`Decision`]
    /// (`graph.resume(thread, Decision::approve().into_resume())`); the node
    /// then runs again and this returns the [`Verdict`]. A decision after the
    /// request's deadline is [`Verdict::Expired`].
    ///
    /// # Errors
    /// The interrupt (propagate it with `?`), or a permanent error when the
    /// resume value is not a `Decision`.
    pub fn approval(&self, request: &ApprovalRequest) -> NodeResult<Verdict> {
        let decision: Decision = self.interrupt(request)?;
        if let Some(deadline_ms) = request.deadline_ms
            && decision.decided_at_ms > deadline_ms
        {
            return Ok(Verdict::Expired { deadline_ms, decided_at_ms: decision.decided_at_ms });
        }
        Ok(match decision.choice {
            Choice::Approve => Verdict::Approved { action: request.action.clone(), modified: false },
            Choice::Modify { action } => Verdict::Approved { action, modified: true },
            Choice::Reject { comment } => Verdict::Rejected { comment },
        })
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

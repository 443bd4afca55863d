/// Why a graph does not compile. Each variant names the node at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Nothing leaves START.
    #[error("the graph has no entry: add an edge from START")]
    NoEntry,
    /// An edge, join, route or interrupt list names a node that was never added.
    #[error("{context} names unknown node {node:?}")]
    UnknownNode {
        /// The unknown name.
        node: String,
        /// Where it was named (`edge source`, `join target`, ...).
        context: String,
    },
    /// Two different nodes were added under one name.
    #[error("node {node:?} is added twice")]
    DuplicateNode {
        /// The name.
        node: String,
    },
    /// A node uses a name reserved for START or END.
    #[error("node name {node:?} is reserved")]
    ReservedName {
        /// The name.
        node: String,
    },
    /// An edge that cannot exist: into START, or out of END.
    #[error("invalid edge {from:?} -> {to:?}: {reason}")]
    InvalidEdge {
        /// The edge's source.
        from: String,
        /// The edge's target.
        to: String,
        /// Why it cannot exist.
        reason: &'static str,
    },
    /// No path from START reaches this node.
    #[error("node {node:?} is unreachable from START")]
    Unreachable {
        /// The node.
        node: String,
    },
    /// From this node no path leads to END: every run through it loops until
    /// the step limit.
    #[error("END is unreachable from node {node:?}")]
    EndUnreachable {
        /// The node.
        node: String,
    },
    /// A router names a target that is not in the graph.
    #[error("router of {source_node:?}, branch {branch:?}, targets unknown node {target:?}")]
    UnknownRouteTarget {
        /// The node the conditional edge leaves.
        source_node: String,
        /// The branch (variant) naming it.
        branch: String,
        /// The unknown target.
        target: String,
    },
    /// A join with no sources, or a second join into the same target.
    #[error("invalid join into {target:?}: {reason}")]
    InvalidJoin {
        /// The join's target.
        target: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A node takes a resource (a `Res<T>` argument) that is not registered
    /// on the graph.
    #[error("node {node:?} needs the resource `{resource}`, which is not registered: add it with `.with_resource(..)`")]
    MissingResource {
        /// The node.
        node: String,
        /// The resource's type, as `std::any::type_name` gives it.
        resource: &'static str,
    },
}

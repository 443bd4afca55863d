//! The graph as petgraph sees it, and the checks `compile` runs on it.

use std::borrow::Cow;
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed};

use super::BuildError;
use super::compiled::{CompiledJoin, CompiledNode, CompiledRouter, NodeId, Routing, Target};
use crate::state::State;

/// A vertex of the layout graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vertex {
    Start,
    End,
    Node(NodeId),
    /// The waiting point of join number `n`.
    Join(usize),
}

/// An edge of the layout graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    Static,
    /// A router's branch, labelled with its name.
    Route(Cow<'static, str>),
    /// Into a join's waiting point.
    JoinIn,
    /// Out of a join's waiting point.
    JoinOut,
    /// From a node to the node that runs when it fails.
    Fallback,
    /// From a node to the node that undoes it on rollback.
    Compensate,
    /// From START to the loop handler, which may run in place of any node.
    Loop,
}

// Vertex 0 is START, vertex 1 is END, then one per node, then one per join.

pub(crate) fn start_vertex() -> NodeIndex {
    NodeIndex::new(0)
}

pub(crate) fn end_vertex() -> NodeIndex {
    NodeIndex::new(1)
}

pub(crate) fn node_vertex(id: NodeId) -> NodeIndex {
    NodeIndex::new(2 + id)
}

pub(crate) fn layout<S: State>(
    nodes: &[CompiledNode<S>],
    start: &Routing,
    routers: &[CompiledRouter<S>],
    joins: &[CompiledJoin],
    loop_handler: Option<NodeId>,
) -> DiGraph<Vertex, EdgeKind> {
    let mut g = DiGraph::with_capacity(2 + nodes.len() + joins.len(), 0);
    g.add_node(Vertex::Start);
    g.add_node(Vertex::End);
    for id in 0..nodes.len() {
        g.add_node(Vertex::Node(id));
    }
    let join_vertices: Vec<NodeIndex> = (0..joins.len()).map(|j| g.add_node(Vertex::Join(j))).collect();
    let vertex = |t: Target| match t {
        Target::Node(id) => node_vertex(id),
        Target::End => end_vertex(),
    };
    let sources = std::iter::once((start_vertex(), start))
        .chain(nodes.iter().enumerate().map(|(i, n)| (node_vertex(i), &n.routing)));
    for (from, routing) in sources {
        for &t in &routing.edges {
            g.add_edge(from, vertex(t), EdgeKind::Static);
        }
        for &r in &routing.routers {
            for (label, targets) in &routers[r].branches {
                for &t in targets {
                    g.add_edge(from, vertex(t), EdgeKind::Route(label.clone()));
                }
            }
        }
        for &j in &routing.joins {
            g.add_edge(from, join_vertices[j], EdgeKind::JoinIn);
        }
    }
    for (j, join) in joins.iter().enumerate() {
        g.add_edge(join_vertices[j], node_vertex(join.target), EdgeKind::JoinOut);
    }
    for (id, node) in nodes.iter().enumerate() {
        if let Some(fallback) = node.policy.fallback {
            g.add_edge(node_vertex(id), node_vertex(fallback), EdgeKind::Fallback);
        }
        if let Some(undo) = node.policy.compensate {
            g.add_edge(node_vertex(id), node_vertex(undo), EdgeKind::Compensate);
        }
    }
    if let Some(handler) = loop_handler {
        g.add_edge(start_vertex(), node_vertex(handler), EdgeKind::Loop);
    }
    g
}

/// `reach[a * n + b]`: node `b` can run after node `a` through edges, routes
/// and joins (not fallbacks or compensations).
pub(crate) fn reachability<S: State>(
    nodes: &[CompiledNode<S>],
    routers: &[CompiledRouter<S>],
    joins: &[CompiledJoin],
) -> Vec<bool> {
    let n = nodes.len();
    let successors: Vec<Vec<NodeId>> = nodes
        .iter()
        .map(|node| {
            let mut next: Vec<NodeId> = node.routing.edges.iter().filter_map(|t| t.node()).collect();
            for &r in &node.routing.routers {
                next.extend(routers[r].branches.iter().flat_map(|(_, ts)| ts.iter().filter_map(|t| t.node())));
            }
            next.extend(node.routing.joins.iter().map(|&j| joins[j].target));
            next
        })
        .collect();
    let mut reach = vec![false; n * n];
    for from in 0..n {
        let mut stack = successors[from].clone();
        while let Some(id) = stack.pop() {
            if !reach[from * n + id] {
                reach[from * n + id] = true;
                stack.extend_from_slice(&successors[id]);
            }
        }
    }
    reach
}

/// Every node reachable from START, and END reachable from every node (a node
/// with no outgoing edges ends its branch, as if it had an edge to END).
pub(crate) fn check<'a>(
    g: &DiGraph<Vertex, EdgeKind>,
    name: impl Fn(NodeId) -> &'a Arc<str>,
) -> Result<(), BuildError> {
    let mut reached = vec![false; g.node_count()];
    let mut bfs = Bfs::new(g, start_vertex());
    while let Some(v) = bfs.next(g) {
        reached[v.index()] = true;
    }
    let mut ends = vec![false; g.node_count()];
    let reversed = Reversed(g);
    let dead_ends = g
        .node_indices()
        .filter(|&v| matches!(g[v], Vertex::Node(_)) && g.neighbors_directed(v, Direction::Outgoing).next().is_none());
    for root in std::iter::once(end_vertex()).chain(dead_ends) {
        if ends[root.index()] {
            continue;
        }
        let mut bfs = Bfs::new(&reversed, root);
        while let Some(v) = bfs.next(&reversed) {
            ends[v.index()] = true;
        }
    }
    for v in g.node_indices() {
        if let Vertex::Node(id) = g[v] {
            if !reached[v.index()] {
                return Err(BuildError::Unreachable { node: name(id).to_string() });
            }
            if !ends[v.index()] {
                return Err(BuildError::EndUnreachable { node: name(id).to_string() });
            }
        }
    }
    Ok(())
}

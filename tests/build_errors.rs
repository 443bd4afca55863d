//! A malformed graph is a BuildError naming the fault, never a panic.

mod common;

use common::{Counter, CounterUpdate};
use stategraph::graph::{Branch, Selected};
use stategraph::prelude::*;

async fn noop(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::default())
}

async fn other(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::default())
}

fn err(graph: StateGraph<Counter>) -> BuildError {
    graph.compile().expect_err("the graph must not compile")
}

#[test]
fn no_entry() {
    let e = err(StateGraph::new().add_node("a", noop).add_edge("a", END));
    assert_eq!(e, BuildError::NoEntry);
    assert_eq!(e.to_string(), "the graph has no entry: add an edge from START");
}

#[test]
fn edge_to_or_from_an_unknown_node() {
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_edge("a", "b"));
    assert_eq!(e, BuildError::UnknownNode { node: "b".into(), context: "edge target".into() });
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_edge("x", "a"));
    assert_eq!(e, BuildError::UnknownNode { node: "x".into(), context: "edge source".into() });
    assert_eq!(e.to_string(), "edge source names unknown node \"x\"");
}

#[test]
fn duplicate_node() {
    let e = err(StateGraph::new().add_node("a", noop).add_node("a", other).add_edge(START, "a"));
    assert_eq!(e, BuildError::DuplicateNode { node: "a".into() });
}

#[test]
fn reserved_names() {
    let e = err(StateGraph::new().add_node(END, noop).add_edge(START, END));
    assert_eq!(e, BuildError::ReservedName { node: END.into() });
}

#[test]
fn edges_into_start_or_out_of_end() {
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_edge("a", START));
    assert!(matches!(e, BuildError::InvalidEdge { .. }), "{e:?}");
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_edge(END, "a"));
    assert!(matches!(e, BuildError::InvalidEdge { .. }), "{e:?}");
}

#[test]
fn node_unreachable_from_start() {
    let e = err(StateGraph::new().add_node("a", noop).add_node("island", other).add_edge(START, "a"));
    assert_eq!(e, BuildError::Unreachable { node: "island".into() });
}

#[test]
fn end_unreachable() {
    // a -> b -> a with no way out loops until the step limit.
    let e = err(StateGraph::new()
        .add_node("a", noop)
        .add_node("b", other)
        .add_edge(START, "a")
        .add_edge("a", "b")
        .add_edge("b", "a"));
    assert_eq!(e, BuildError::EndUnreachable { node: "a".into() });
    // A node with no outgoing edge ends its branch: that is fine.
    assert!(StateGraph::new().add_node("a", noop).add_edge(START, "a").compile().is_ok());
}

struct ToGhost;

impl Route<Counter> for ToGhost {
    fn branches() -> Vec<Branch<Counter>> {
        vec![Branch::new("Found", ["ghost"]), Branch::new("Done", [END])]
    }
    fn select(self) -> Selected<Counter> {
        Selected::branch(1)
    }
}

#[test]
fn router_target_not_in_the_graph() {
    let e = err(StateGraph::new()
        .add_node("a", noop)
        .add_edge(START, "a")
        .add_conditional_edges("a", |_: &Counter| ToGhost));
    assert_eq!(
        e,
        BuildError::UnknownRouteTarget { source_node: "a".into(), branch: "Found".into(), target: "ghost".into() }
    );
}

#[test]
fn bad_joins() {
    let empty: [&str; 0] = [];
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_join(empty, "a"));
    assert!(matches!(e, BuildError::InvalidJoin { .. }), "{e:?}");
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").add_join(["a", "zz"], "a"));
    assert_eq!(e, BuildError::UnknownNode { node: "zz".into(), context: "join source".into() });
}

#[test]
fn interrupt_lists_name_known_nodes() {
    let e = err(StateGraph::new().add_node("a", noop).add_edge(START, "a").interrupt_before(["b"]));
    assert_eq!(e, BuildError::UnknownNode { node: "b".into(), context: "interrupt_before".into() });
}

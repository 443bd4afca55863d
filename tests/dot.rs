//! The graph as Graphviz DOT: START/END distinct, routes dashed and labelled,
//! joins visible; it renders with `dot -Tsvg`.

mod common;

use common::{Counter, CounterUpdate};
use stategraph::graph::{Branch, Selected};
use stategraph::prelude::*;

async fn node(_: &Counter) -> NodeResult<CounterUpdate> {
    Ok(CounterUpdate::default())
}

enum Review {
    Approve,
    Reject,
}

impl Route<Counter> for Review {
    fn branches() -> Vec<Branch<Counter>> {
        vec![Branch::new("Approve", ["publish \"now\""]), Branch::new("Reject", [END])]
    }
    fn select(self) -> Selected<Counter> {
        match self {
            Review::Approve => Selected::branch(0),
            Review::Reject => Selected::branch(1),
        }
    }
}

fn graph() -> CompiledGraph<Counter> {
    StateGraph::new()
        .add_node("draft", node)
        .add_node("check_a", node)
        .add_node("check_b", node)
        .add_node("review", node)
        .add_node("publish \"now\"", node)
        .add_edge(START, "draft")
        .add_edge("draft", "check_a")
        .add_edge("draft", "check_b")
        .add_join(["check_a", "check_b"], "review")
        .add_conditional_edges("review", |s: &Counter| if s.count > 0 { Review::Approve } else { Review::Reject })
        .add_edge("publish \"now\"", END)
        .compile()
        .unwrap()
}

#[test]
fn dot_marks_start_end_routes_and_joins() {
    let dot = graph().to_dot();
    assert!(dot.starts_with("digraph stategraph {"));
    assert!(dot.contains("label=\"START\", shape=oval"));
    assert!(dot.contains("label=\"END\", shape=oval"));
    assert!(dot.contains("style=dashed, label=\"Approve\""));
    assert!(dot.contains("style=dashed, label=\"Reject\""));
    assert!(dot.contains("xlabel=\"join\""));
    assert_eq!(dot.matches("arrowhead=none").count(), 2, "both join sources feed the join point");
    assert!(dot.contains(r#"label="publish \"now\"""#), "names are escaped");
}

#[test]
fn dot_renders_with_graphviz() {
    if let Some(svg) = common::render_svg(&graph().to_dot()) {
        assert!(svg.contains("review") && svg.contains("Approve"));
    }
}

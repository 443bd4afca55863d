//! Graphviz DOT of a compiled graph.

use std::fmt::Write as _;

use petgraph::visit::EdgeRef;

use super::CompiledGraph;
use super::validate::{EdgeKind, Vertex};
use crate::policy::OnFailure;
use crate::state::State;

/// How a drawing of the graph is painted over: a run's outcome on each
/// vertex and the edges it took. Attributes returned here come after the
/// defaults, so they override them.
pub(crate) trait Paint {
    /// The drawing's title.
    fn title(&self) -> Option<String> {
        None
    }

    /// Lines added under a vertex's label, and attributes for it.
    fn vertex(&self, _vertex: Vertex) -> (Vec<String>, String) {
        (Vec::new(), String::new())
    }

    /// Attributes for the edge from `from` to `to`.
    fn edge(&self, _from: Vertex, _to: Vertex) -> String {
        String::new()
    }
}

/// The plain drawing.
struct Plain;

impl Paint for Plain {}

impl<S: State> CompiledGraph<S> {
    /// The graph in Graphviz DOT: START and END as ovals, nodes as boxes,
    /// conditional routes dashed and labelled with their branch names, joins as
    /// a waiting point that all sources feed, fallbacks dotted blue,
    /// compensating edges dashed red with a hollow head, breaker-guarded nodes
    /// with a double border; each node's policy in brackets (breaker, retry
    /// attempts, timeout, degrade or optional). Render with `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        self.render_dot(&Plain)
    }

    pub(crate) fn render_dot(&self, paint: &dyn Paint) -> String {
        let g = &self.inner.layout;
        let mut out = String::new();
        out.push_str("digraph stategraph {\n");
        out.push_str("  rankdir=TB;\n");
        if let Some(title) = paint.title() {
            let _ = writeln!(out, "  label=\"{}\"; labelloc=t; fontname=\"Helvetica\";", escape(&title));
        }
        out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n");
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for v in g.node_indices() {
            let vertex = g[v];
            let (lines, extra) = paint.vertex(vertex);
            let base = match vertex {
                Vertex::Start => "label=\"START\", shape=oval, fillcolor=\"#333333\", fontcolor=\"#ffffff\"".to_owned(),
                Vertex::End => "label=\"END\", shape=oval, fillcolor=\"#333333\", fontcolor=\"#ffffff\"".to_owned(),
                Vertex::Node(id) => {
                    let policy = &self.inner.nodes[id].policy;
                    let mut label = escape(self.inner.name(id));
                    let mut notes = Vec::new();
                    if let Some(breaker) = &policy.breaker {
                        notes.push(format!("breaker: {}", escape(breaker)));
                    }
                    if policy.retry.max_attempts > 1 {
                        notes.push(format!("retry x{}", policy.retry.max_attempts));
                    }
                    if let Some(limit) = policy.timeout {
                        notes.push(format!("timeout {limit:?}"));
                    }
                    match policy.on_failure {
                        OnFailure::Critical => {}
                        OnFailure::Degrade(_) => notes.push("degrade".to_owned()),
                        OnFailure::Optional => notes.push("optional".to_owned()),
                    }
                    if !notes.is_empty() {
                        label.push_str(&format!("\\n[{}]", notes.join(", ")));
                    }
                    for line in &lines {
                        label.push_str("\\n");
                        label.push_str(&escape(line));
                    }
                    let border = if policy.breaker.is_some() { ", peripheries=2" } else { "" };
                    format!("label=\"{label}\"{border}")
                }
                Vertex::Join(_) => {
                    "label=\"\", xlabel=\"join\", shape=circle, width=0.15, fillcolor=\"#333333\"".to_owned()
                }
            };
            let extra = if extra.is_empty() { extra } else { format!(", {extra}") };
            let _ = writeln!(out, "  v{} [{base}{extra}];", v.index());
        }
        for e in g.edge_references() {
            let base = match e.weight() {
                EdgeKind::Static => String::new(),
                EdgeKind::Route(label) => format!("style=dashed, label=\"{}\"", escape(label)),
                EdgeKind::JoinIn => "arrowhead=none".to_owned(),
                EdgeKind::JoinOut => "style=bold".to_owned(),
                EdgeKind::Fallback => "style=dotted, color=\"#1f6feb\", label=\"fallback\"".to_owned(),
                EdgeKind::Compensate => {
                    "style=dashed, color=\"#cf222e\", fontcolor=\"#cf222e\", arrowhead=empty, label=\"compensate\", constraint=false".to_owned()
                }
                EdgeKind::Loop => "style=dotted, color=\"#9a6700\", label=\"on loop\"".to_owned(),
            };
            let extra = paint.edge(g[e.source()], g[e.target()]);
            let attrs = match (base.is_empty(), extra.is_empty()) {
                (true, true) => String::new(),
                (false, true) => format!(" [{base}]"),
                (true, false) => format!(" [{extra}]"),
                (false, false) => format!(" [{base}, {extra}]"),
            };
            let _ = writeln!(out, "  v{} -> v{}{attrs};", e.source().index(), e.target().index());
        }
        out.push_str("}\n");
        out
    }
}

/// Escapes text for a double-quoted DOT string.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_quotes_backslashes_and_newlines() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

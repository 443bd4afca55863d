//! The DOT of what a stored thread did, from its records alone: the nodes
//! that ran (or were due, skipped, undone), coloured by outcome, and the
//! order they ran in.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CheckpointView, view_checkpoint, view_task};
use crate::checkpoint::{CheckpointError, Checkpointer, HistoryQuery, TaskStatus};
use crate::exec::{CheckpointSource, RunError};
use crate::graph::{CompiledGraph, Paint, Vertex};
use crate::state::State;

/// A node's outcome in the trace, worst news last written wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Pending,
    Succeeded,
    Tainted,
    Degraded,
    Fallback,
    Skipped,
    Interrupted,
    Failed,
    Compensated,
    Compensator,
}

impl Mark {
    /// Fill, border, style, and the label suffix.
    fn look(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Mark::Pending => ("#ffffff", "#57606a", "rounded,filled,dashed", "not reached"),
            Mark::Succeeded => ("#dafbe1", "#1a7f37", "rounded,filled", ""),
            Mark::Tainted => ("#fff8c5", "#9a6700", "rounded,filled", "on degraded input"),
            Mark::Degraded => ("#ffe6b3", "#bc4c00", "rounded,filled,bold", "degraded"),
            Mark::Fallback => ("#ddf4ff", "#0969da", "rounded,filled", "fallback used"),
            Mark::Skipped => ("#eaeef2", "#8c959f", "rounded,filled,dashed", "skipped"),
            Mark::Interrupted => ("#fbefff", "#8250df", "rounded,filled,bold", "interrupted"),
            Mark::Failed => ("#ffebe9", "#cf222e", "rounded,filled,bold", "failed"),
            Mark::Compensated => ("#eaeef2", "#cf222e", "rounded,filled", "compensated"),
            Mark::Compensator => ("#ffebe9", "#cf222e", "rounded,filled,dashed", "compensation"),
        }
    }
}

#[derive(Default)]
struct Trace {
    nodes: Vec<(String, Mark, Option<String>)>,
    edges: Vec<(String, String, &'static str)>,
}

impl Trace {
    fn mark(&mut self, node: &str, mark: Mark, note: Option<String>) {
        match self.nodes.iter_mut().find(|(n, ..)| n == node) {
            Some(entry) => {
                entry.1 = mark;
                if note.is_some() {
                    entry.2 = note;
                }
            }
            None => self.nodes.push((node.to_owned(), mark, note)),
        }
    }

    fn edge(&mut self, from: &str, to: &str, style: &'static str) {
        let edge = (from.to_owned(), to.to_owned(), style);
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
    }
}

/// The DOT of what `thread` did, from its stored records: each node that
/// ran, was due, was skipped or undone, filled by its outcome (succeeded,
/// degraded, on degraded input, fallback, skipped, interrupted, failed,
/// compensated, not reached), an edge for each step that followed another,
/// and compensations as dashed red edges. `None` when the thread has no
/// checkpoint. Nodes the run never reached are not in the records: the
/// compiled graph's own DOT shows the whole graph.
pub async fn trace_dot(saver: &dyn Checkpointer, thread: &str) -> Result<Option<String>, CheckpointError> {
    Ok(collect(saver, thread).await?.map(|trace| render(thread, &trace)))
}

/// What `thread` did, from its stored records; `None` when it has none.
async fn collect(saver: &dyn Checkpointer, thread: &str) -> Result<Option<Trace>, CheckpointError> {
    let mut records = saver.history(thread, HistoryQuery::all()).await?;
    if records.is_empty() {
        return Ok(None);
    }
    records.reverse();
    let mut trace = Trace::default();
    let mut previous: Vec<String> = vec!["START".to_owned()];
    let mut last: Option<CheckpointView> = None;
    for record in &records {
        let view = view_checkpoint(thread, record)?;
        let writers: Vec<String> = view.writes.iter().map(|w| w.node.clone()).collect();
        match view.source {
            CheckpointSource::Step if !writers.is_empty() => {
                for node in &writers {
                    trace.mark(node, Mark::Succeeded, None);
                    for from in &previous {
                        trace.edge(from, node, "");
                    }
                }
                previous = writers;
            }
            CheckpointSource::Rollback => {
                if let (Some(rollback), Some(undo)) = (&view.rollback, writers.first())
                    && let Some(undone) = rollback.compensated.last()
                {
                    trace.mark(undo, Mark::Compensator, None);
                    trace.edge(undone, undo, "compensate");
                }
            }
            _ => {}
        }
        for task in saver.tasks(thread, record.id).await? {
            let task = view_task(thread, &task)?;
            let note = task.error.as_ref().map(|e| e.message.clone());
            match task.status {
                TaskStatus::Failed | TaskStatus::Dropped => trace.mark(&task.node, Mark::Failed, note),
                TaskStatus::Interrupted => trace.mark(&task.node, Mark::Interrupted, None),
                TaskStatus::Retrying => trace.mark(&task.node, Mark::Pending, note),
                TaskStatus::Succeeded | TaskStatus::Degraded | TaskStatus::Fallback => {}
            }
        }
        last = Some(view);
    }
    let Some(last) = last else { return Ok(None) };
    for degraded in &last.health.degraded {
        for node in &degraded.tainted {
            if trace.nodes.iter().any(|(n, ..)| n == node) {
                trace.mark(node, Mark::Tainted, Some(format!("rests on {}", degraded.node)));
            }
        }
        trace.mark(&degraded.node, Mark::Degraded, Some(degraded.error.message.clone()));
    }
    for used in &last.health.fallbacks {
        trace.mark(&used.node, Mark::Fallback, Some(format!("-> {}", used.fallback)));
        if !trace.nodes.iter().any(|(n, ..)| *n == used.fallback) {
            trace.mark(&used.fallback, Mark::Succeeded, Some(format!("stood in for {}", used.node)));
        }
        trace.edge(&used.node, &used.fallback, "fallback");
    }
    for failed in &last.health.failed {
        trace.mark(&failed.node, Mark::Failed, Some(failed.error.message.clone()));
    }
    for skipped in &last.health.skipped {
        trace.mark(&skipped.node, Mark::Skipped, Some(format!("cause: {}", skipped.cause)));
        trace.edge(&skipped.cause, &skipped.node, "skip");
    }
    if let Some(rollback) = &last.rollback {
        trace.mark(&rollback.failed_node, Mark::Failed, Some(rollback.error.message.clone()));
        for node in &rollback.compensated {
            trace.mark(node, Mark::Compensated, None);
        }
    }
    for node in &last.next {
        if !trace.nodes.iter().any(|(n, ..)| n == node) {
            trace.mark(node, Mark::Pending, None);
        }
        let ran = trace.nodes.iter().any(|(n, m, _)| n == node && matches!(m, Mark::Failed | Mark::Interrupted));
        for from in &previous {
            if from != node {
                trace.edge(from, node, if ran { "" } else { "next" });
            }
        }
    }
    // Nothing due and no rollback: the run went on to END.
    if last.next.is_empty() && last.rollback.is_none() {
        for from in &previous {
            trace.edge(from, "END", "");
        }
    }
    Ok(Some(trace))
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(thread: &str, trace: &Trace) -> String {
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = String::new();
    out.push_str("digraph run {\n  rankdir=TB;\n");
    let _ = writeln!(out, "  label={}; labelloc=t; fontname=\"Helvetica\";", quote(&format!("thread {thread}")));
    out.push_str("  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let uses_end = trace.edges.iter().any(|(_, to, _)| to == "END");
    for (i, name) in ["START", "END"].into_iter().enumerate() {
        if name == "START" || uses_end {
            ids.insert(name, i);
            let _ = writeln!(
                out,
                "  v{i} [label=\"{name}\", shape=oval, style=filled, fillcolor=\"#333333\", fontcolor=\"#ffffff\"];"
            );
        }
    }
    for (i, (name, mark, note)) in trace.nodes.iter().enumerate() {
        let id = i + 2;
        ids.insert(name, id);
        let (fill, border, style, what) = mark.look();
        let mut label = name.clone();
        for line in [what, note.as_deref().unwrap_or("")] {
            if !line.is_empty() {
                label.push('\n');
                label.push_str(line);
            }
        }
        let _ = writeln!(
            out,
            "  v{id} [label={}, style=\"{style}\", fillcolor=\"{fill}\", color=\"{border}\"];",
            quote(&label)
        );
    }
    for (from, to, style) in &trace.edges {
        let (Some(a), Some(b)) = (ids.get(from.as_str()), ids.get(to.as_str())) else { continue };
        let attrs = match *style {
            "compensate" => " [style=dashed, color=\"#cf222e\", label=\"compensate\", constraint=false]",
            "fallback" => " [style=dotted, color=\"#0969da\", label=\"fallback\"]",
            "skip" => " [style=dotted, color=\"#8c959f\", label=\"skipped\"]",
            "next" => " [style=dashed, label=\"next\"]",
            _ => "",
        };
        let _ = writeln!(out, "  v{a} -> v{b}{attrs};");
    }
    out.push_str(
        "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#d0d7de\";\n    legend [shape=plaintext, fontsize=9, label=\"green: succeeded   orange: degraded   yellow: on degraded input\\nblue: fallback   grey dashed: skipped   purple: interrupted\\nred: failed   grey/red: compensated   white dashed: not reached\"];\n  }\n",
    );
    out.push_str("}\n");
    out
}

impl<S: State> CompiledGraph<S> {
    /// The whole graph as `thread` ran it, in Graphviz DOT: the drawing of
    /// [`to_dot`](Self::to_dot) (policies, breaker-guarded nodes
    /// double-bordered, compensating edges dashed red) with each node filled
    /// by its outcome in the thread's stored records (succeeded, degraded, on
    /// degraded input, fallback used, skipped, interrupted, failed,
    /// compensated, or not reached) and the edges the run took drawn bold.
    /// Render with `dot -Tsvg`.
    ///
    /// # Errors
    /// [`RunError::NoCheckpointer`] without a checkpointer,
    /// [`RunError::NoSuchThread`] for a thread with no checkpoint, and the
    /// store's errors.
    pub async fn thread_dot(&self, thread: &str) -> Result<String, RunError> {
        let saver = self.saver.as_deref().ok_or(RunError::NoCheckpointer { operation: "thread_dot" })?;
        let trace =
            collect(saver, thread).await?.ok_or_else(|| RunError::NoSuchThread { thread: thread.to_owned() })?;
        Ok(self.render_dot(&Painted { graph: self, thread, trace }))
    }
}

/// A graph painted with a thread's trace.
struct Painted<'a, S: State> {
    graph: &'a CompiledGraph<S>,
    thread: &'a str,
    trace: Trace,
}

impl<S: State> Painted<'_, S> {
    /// The trace's name for a vertex; a join is named by its target.
    fn name(&self, vertex: Vertex) -> &str {
        match vertex {
            Vertex::Start => "START",
            Vertex::End => "END",
            Vertex::Node(id) => self.graph.inner.name(id),
            Vertex::Join(j) => self.graph.inner.name(self.graph.inner.joins[j].target),
        }
    }

    /// Whether the run went from `from` to `to` (a skip or a task only due
    /// next is not a move).
    fn took(&self, from: &str, to: &str) -> bool {
        self.trace.edges.iter().any(|(a, b, style)| a == from && b == to && !matches!(*style, "skip" | "next"))
    }
}

impl<S: State> Paint for Painted<'_, S> {
    fn title(&self) -> Option<String> {
        Some(format!("thread {}", self.thread))
    }

    fn vertex(&self, vertex: Vertex) -> (Vec<String>, String) {
        let Vertex::Node(id) = vertex else { return (Vec::new(), String::new()) };
        let name = self.graph.inner.name(id);
        let (mark, note) = match self.trace.nodes.iter().find(|(n, ..)| **n == **name) {
            Some((_, mark, note)) => (*mark, note.clone()),
            None => (Mark::Pending, None),
        };
        let (fill, border, style, what) = mark.look();
        let lines = [what.to_owned()].into_iter().chain(note).filter(|line| !line.is_empty()).collect();
        (lines, format!("style=\"{style}\", fillcolor=\"{fill}\", color=\"{border}\""))
    }

    fn edge(&self, from: Vertex, to: Vertex) -> String {
        let graph = &self.graph.inner;
        let (a, b) = (self.name(from), self.name(to));
        let taken = match (from, to) {
            // Into a join: taken when the source led to the join's target.
            (_, Vertex::Join(_)) => self.took(a, b),
            // Out of a join: taken when any of its sources led to the target.
            (Vertex::Join(j), _) => graph.joins[j].sources.iter().any(|&s| self.took(graph.name(s), b)),
            _ => self.took(a, b),
        };
        if taken { "penwidth=2.5".to_owned() } else { String::new() }
    }
}

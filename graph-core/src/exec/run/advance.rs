//! Ending a super-step: conflicts, reducers, and where the run goes next.

use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::runner::{Completed, Runner};
use super::task::{Task, TaskDone, TaskOutcome, Via};
use crate::checkpoint::Write;
use crate::exec::{Degraded, Event, FallbackUsed, NodeFailure, PolicyEvent, RunError, Skipped};
use crate::graph::{GraphInner, NodeId, Target};
use crate::node::Goto;
use crate::state::State;

/// A source of routing: a node that ran (or START, `None`) with the extra
/// targets its command named.
pub(crate) type Routed<S> = (Option<NodeId>, Vec<Goto<S>>);

impl<S: State> Runner<'_, S> {
    /// Ends a step whose tasks all succeeded: checks that no two tasks wrote
    /// one exclusive field, applies the updates in task order, and computes the
    /// next step's tasks. Returns the step's writes and, when the run stops
    /// after some node, the nodes that ran.
    pub(crate) fn advance(&mut self) -> Result<(Vec<Write>, Vec<NodeId>), RunError> {
        let step = self.pos.step + 1;
        // The step's lists are drained and kept for the next step: a step
        // allocates no list it can reuse.
        let mut tasks = mem::take(&mut self.pos.pending);
        let mut done = mem::take(&mut self.pos.done);
        if tasks.len() > 1 {
            self.check_conflicts(step, &tasks, &done)?;
        }
        let encodes = self.encodes();
        let mut writes = Vec::new();
        let mut routed: Vec<Routed<S>> = mem::take(&mut self.routed);
        let mut dropped: Vec<NodeId> = Vec::new();
        let mut compensable = false;
        let degraded_before = self.pos.health.degraded.len();
        // By index, taking each result out: a task and its result are not
        // moved on every iteration.
        for (i, task) in tasks.iter().enumerate() {
            let name = self.graph.name(task.node);
            let (command, encoded, via) = match done[i].take() {
                Some(TaskDone { outcome: TaskOutcome::Succeeded { command, encoded, via }, .. }) => {
                    (command, encoded, via)
                }
                Some(TaskDone { outcome: TaskOutcome::Dropped(error), .. }) => {
                    self.pos.health.failed.push(NodeFailure { node: name.to_string(), error });
                    dropped.push(task.node);
                    continue;
                }
                // `drive` only advances when no task failed critically or was interrupted.
                _ => continue,
            };
            self.taint(task.node, degraded_before);
            match via {
                Via::Node => {}
                Via::Fallback { node, error } => self.pos.health.fallbacks.push(FallbackUsed {
                    node: name.to_string(),
                    fallback: node.to_string(),
                    error,
                }),
                Via::Degraded { error } => {
                    // Degraded in this step: taints what runs after, not its
                    // siblings.
                    self.pos.health.degraded.push(Degraded { node: name.to_string(), error, tainted: Vec::new() });
                }
            }
            if self.graph.nodes[task.node].policy.compensate.is_some() {
                compensable = true;
                self.pos.completed.push(Completed { node: task.node, checkpoint: self.next_id, state: None });
            }
            if encodes {
                let update = match encoded {
                    Some(bytes) => bytes,
                    None => self.encode_value(&command.update, "update")?,
                };
                writes.push(Write { task: i as u32, node: self.graph.name(task.node).to_string(), update });
            }
            self.pos.state.apply(command.update);
            routed.push((Some(task.node), command.goto));
        }
        tasks.clear();
        done.clear();
        if compensable {
            let state = self.pos.state.clone();
            for completed in self.pos.completed.iter_mut().filter(|c| c.checkpoint == self.next_id) {
                completed.state = Some(state.clone());
            }
        }
        // The nodes that ran matter only to `interrupt_after`.
        let ran =
            if self.after.is_empty() { Vec::new() } else { routed.iter().filter_map(|(node, _)| *node).collect() };
        self.spare_tasks = tasks;
        self.pos.done = done;
        let next = self.route(Vec::new(), routed.drain(..));
        self.routed = routed;
        let mut next = next?;
        if !dropped.is_empty() {
            self.skip_after(step, &dropped, &mut next);
        }
        self.set_pending(next);
        Ok((writes, ran))
    }

    /// Records that `node`, about to have its update applied, rests on the
    /// output of the degraded nodes (among the first `before`) it is
    /// downstream of.
    fn taint(&mut self, node: NodeId, before: usize) {
        let graph = self.graph;
        let name = graph.name(node);
        for degraded in self.pos.health.degraded.iter_mut().take(before) {
            let upstream = graph.node_id(&degraded.node).is_some_and(|d| graph.reaches(d, node));
            if upstream && !degraded.tainted.iter().any(|t| **t == **name) {
                degraded.tainted.push(name.to_string());
            }
        }
    }

    /// Skips what only the `failed` optional nodes would have led to: their
    /// successors that no task of the next step can reach, transitively. A
    /// join fed by a skipped source is skipped too, unless it is `partial_ok`,
    /// in which case the source counts as arrived.
    fn skip_after(&mut self, step: u64, failed: &[NodeId], next: &mut Vec<Task<S>>) {
        let graph = self.graph;
        let mut skipped = vec![false; graph.nodes.len()];
        let mut queue: Vec<(NodeId, NodeId)> = failed.iter().map(|&f| (f, f)).collect();
        while let Some((from, cause)) = queue.pop() {
            let routing = &graph.nodes[from].routing;
            let mut successors: Vec<NodeId> = routing.edges.iter().filter_map(|t| t.node()).collect();
            for &r in &routing.routers {
                successors
                    .extend(graph.routers[r].branches.iter().flat_map(|(_, ts)| ts.iter().filter_map(|t| t.node())));
            }
            for &j in &routing.joins {
                let join = &graph.joins[j];
                if join.partial_ok {
                    let arrived = &mut self.pos.joins[j];
                    if let Err(at) = arrived.binary_search(&from) {
                        arrived.insert(at, from);
                    }
                    if *arrived == join.sources {
                        arrived.clear();
                        if !next.iter().any(|t| t.node == join.target && t.input.is_none()) {
                            next.push(Task::pull(join.target));
                        }
                    }
                } else {
                    self.pos.joins[j].clear();
                    successors.push(join.target);
                }
            }
            for node in successors {
                let live = next.iter().any(|t| t.node == node || graph.reaches(t.node, node));
                if skipped[node] || live {
                    continue;
                }
                skipped[node] = true;
                let (name, cause_name) = (graph.name(node).to_string(), graph.name(cause).to_string());
                self.emit(|| {
                    Event::Policy(PolicyEvent::Skipped { step, node: name.clone(), cause: cause_name.clone() })
                });
                self.pos.health.skipped.push(Skipped { node: name, cause: cause_name });
                queue.push((node, cause));
            }
        }
    }

    /// Replaces the pending tasks, none of them finished.
    pub(crate) fn set_pending(&mut self, tasks: Vec<Task<S>>) {
        self.pos.done.clear();
        self.pos.done.extend(tasks.iter().map(|_| None));
        self.pos.pending = tasks;
    }

    fn check_conflicts(&self, step: u64, tasks: &[Task<S>], done: &[Option<TaskDone<S>>]) -> Result<(), RunError> {
        let mut written: Vec<(&'static str, usize)> = Vec::new();
        for (i, result) in done.iter().enumerate() {
            let Some(TaskDone { outcome: TaskOutcome::Succeeded { command, .. }, .. }) = result else { continue };
            let mut conflict = None;
            S::exclusive_writes(&command.update, &mut |field| {
                if conflict.is_some() {
                    return;
                }
                match written.iter().find(|(f, _)| *f == field) {
                    Some(&(_, first)) if first != i => conflict = Some((field, first)),
                    Some(_) => {}
                    None => written.push((field, i)),
                }
            });
            if let Some((field, first)) = conflict {
                return Err(RunError::Conflict {
                    thread: self.thread.to_string(),
                    step,
                    field,
                    first: self.graph.name(tasks[first].node).to_string(),
                    second: self.graph.name(tasks[i].node).to_string(),
                });
            }
        }
        Ok(())
    }

    /// The next step's tasks: `keep` (tasks still pending), then what the
    /// `routed` sources lead to: static edges and command targets, then routers
    /// on the current state, then joins whose last source arrived. A node is
    /// pulled once however many edges lead to it; `Send` tasks are never merged.
    pub(crate) fn route(
        &mut self,
        keep: Vec<Task<S>>,
        routed: impl IntoIterator<Item = Routed<S>>,
    ) -> Result<Vec<Task<S>>, RunError> {
        let mut next =
            NextTasks { graph: self.graph, pulled: &mut self.pulled, tasks: mem::take(&mut self.spare_tasks) };
        for task in keep {
            next.keep(task);
        }
        // A buffer kept across steps: routing allocates nothing it can reuse.
        let mut sources = mem::take(&mut self.sources);
        sources.clear();
        for (source, goto) in routed {
            for &target in &self.graph.routing(source).edges {
                if let Target::Node(id) = target {
                    next.pull(id);
                }
            }
            for goto in goto {
                next.goto(&self.thread, goto)?;
            }
            if !sources.contains(&source) {
                sources.push(source);
            }
        }
        for &source in &sources {
            for &router in &self.graph.routing(source).routers {
                next.router(&self.thread, source, router, &self.pos.state)?;
            }
        }
        for &source in &sources {
            if let Some(node) = source {
                for &join in &self.graph.routing(source).joins {
                    next.arrive(&mut self.pos.joins[join], join, node);
                }
            }
        }
        self.sources = sources;
        Ok(next.finish())
    }
}

/// The next step's tasks as they are found.
struct NextTasks<'a, S: State> {
    graph: &'a GraphInner<S>,
    /// Which nodes are pulled already; cleared again by `finish`.
    pulled: &'a mut Vec<bool>,
    tasks: Vec<Task<S>>,
}

impl<S: State> NextTasks<'_, S> {
    fn keep(&mut self, task: Task<S>) {
        if task.input.is_none() {
            if self.pulled[task.node] {
                return;
            }
            self.pulled[task.node] = true;
        }
        self.tasks.push(task);
    }

    fn pull(&mut self, node: NodeId) {
        if !self.pulled[node] {
            self.pulled[node] = true;
            self.tasks.push(Task::pull(node));
        }
    }

    fn send(&mut self, node: NodeId, input: S) {
        self.tasks.push(Task::with_input(node, Some(input)));
    }

    fn goto(&mut self, thread: &str, goto: Goto<S>) -> Result<(), RunError> {
        let resolve = |name: &str| {
            self.graph.node_id(name).ok_or_else(|| RunError::UnknownNode {
                thread: thread.to_owned(),
                node: name.to_owned(),
                context: "a command's goto",
            })
        };
        match goto {
            Goto::Node(name) => {
                let id = resolve(&name)?;
                self.pull(id);
            }
            Goto::Send(send) => {
                let id = resolve(&send.node)?;
                self.send(id, send.input);
            }
            Goto::End => {}
        }
        Ok(())
    }

    fn router(&mut self, thread: &str, source: Option<NodeId>, router: usize, state: &S) -> Result<(), RunError> {
        let router = &self.graph.routers[router];
        let source_name =
            || source.map_or_else(|| crate::graph::START.to_owned(), |id| self.graph.name(id).to_string());
        let selected = catch_unwind(AssertUnwindSafe(|| (router.func)(state)))
            .map_err(|_| RunError::RouterPanicked { thread: thread.to_owned(), node: source_name() })?;
        let Some((_, targets)) = router.branches.get(selected.branch) else {
            return Err(RunError::InvalidRoute {
                thread: thread.to_owned(),
                node: source_name(),
                branch: selected.branch,
            });
        };
        match selected.sends {
            None => {
                for &target in targets {
                    if let Target::Node(id) = target {
                        self.pull(id);
                    }
                }
            }
            Some(inputs) => {
                let nodes: Vec<NodeId> =
                    targets.iter().filter_map(|t| if let Target::Node(id) = t { Some(*id) } else { None }).collect();
                for input in inputs {
                    if let Some((&last, rest)) = nodes.split_last() {
                        for &node in rest {
                            self.send(node, input.clone());
                        }
                        self.send(last, input);
                    }
                }
            }
        }
        Ok(())
    }

    /// Marks `node` arrived at `join`; pulls the join's target once all arrived.
    fn arrive(&mut self, arrived: &mut Vec<NodeId>, join: usize, node: NodeId) {
        if let Err(at) = arrived.binary_search(&node) {
            arrived.insert(at, node);
        }
        let join = &self.graph.joins[join];
        if *arrived == join.sources {
            arrived.clear();
            self.pull(join.target);
        }
    }

    fn finish(self) -> Vec<Task<S>> {
        for task in &self.tasks {
            self.pulled[task.node] = false;
        }
        self.tasks
    }
}

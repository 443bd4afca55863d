//! Run reports: what each task of one run did (outcome, attempts, latency,
//! cost), and [`ReportSummary`], their aggregate over many runs (success
//! rate, latency and cost percentiles per node, failure reasons).
//!
//! Reports are collected only when asked, with
//! [`CompiledGraph::with_reports`](crate::graph::CompiledGraph::with_reports)
//! or [`Run::report`](crate::exec::Run::report); runs that do not ask pay nothing.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checkpoint::TaskStatus;
use crate::exec::Outcome;
use crate::node::TaskError;

/// What one invocation of a thread ran: each task's outcome, attempts,
/// latency and cost, in [`RunResult::report`](crate::exec::RunResult::report).
///
/// A report covers the tasks run by that invocation: a resume's report lists
/// what the resume ran, not the tasks finished before it. The compensators a
/// rollback runs are not tasks of a step and are not listed (the outcome
/// names them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The thread.
    pub thread: String,
    /// How the run ended.
    pub outcome: Outcome,
    /// The tasks run, by step and then by their index within the step.
    pub tasks: Vec<TaskReport>,
}

impl RunReport {
    /// Whether the run completed (degraded or not).
    pub fn is_completed(&self) -> bool {
        self.outcome == Outcome::Completed
    }

    /// Whether the run completed with some task degraded, replaced by its
    /// fallback, or dropped (an optional node that failed).
    pub fn is_degraded(&self) -> bool {
        self.is_completed()
            && self
                .tasks
                .iter()
                .any(|t| matches!(t.status, TaskStatus::Degraded | TaskStatus::Fallback | TaskStatus::Dropped))
    }

    /// The cost the run's tasks reported, summed.
    pub fn cost(&self) -> f64 {
        self.tasks.iter().map(|t| t.cost).sum()
    }
}

/// One task of a [`RunReport`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    /// The super-step it ran in.
    pub step: u64,
    /// Its index within the step.
    pub task: u32,
    /// The node it ran.
    pub node: String,
    /// How it ended.
    pub status: TaskStatus,
    /// The attempts made, counting those made before a restart.
    pub attempts: u32,
    /// The time the task took in this invocation: all its attempts, their
    /// backoffs, and its fallback or degrade.
    pub latency: Duration,
    /// The cost its attempts (and its fallback's) reported with
    /// [`Ctx::add_cost`](crate::node::Ctx::add_cost), summed.
    pub cost: f64,
    /// The node's error when it did not succeed on its own: failed, dropped,
    /// degraded or replaced by its fallback.
    pub error: Option<TaskError>,
}

/// The 50th, 95th and 99th percentiles of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles<T> {
    /// The median.
    pub p50: T,
    /// The 95th percentile.
    pub p95: T,
    /// The 99th percentile.
    pub p99: T,
}

/// The `p`th percentile of `sorted` (ascending) by the nearest-rank method:
/// the smallest sample with at least `p`% of the samples at or below it,
/// index `ceil(p/100 · n) − 1` (the first sample for `p` = 0).
///
/// `None` when there are no samples or `p` is not within 0..=100.
///
/// ```
/// use stategraph::exec::percentile;
/// let samples: Vec<u32> = (1..=10).collect();
/// assert_eq!(percentile(&samples, 50.0), Some(5));
/// assert_eq!(percentile(&samples, 95.0), Some(10));
/// assert_eq!(percentile(&samples, 0.0), Some(1));
/// assert_eq!(percentile::<u32>(&[], 50.0), None);
/// ```
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    // p·n first: exact for whole p and any realistic n, so 95% of 100 is
    // rank 95, not 96 through a rounded 0.95.
    let rank = (p * sorted.len() as f64 / 100.0).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// How many runs ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Completed, degraded or not.
    pub completed: usize,
    /// Completed with a degraded, fallback or dropped task (also counted in
    /// `completed`).
    pub degraded: usize,
    /// Stopped for a human.
    pub interrupted: usize,
    /// Failed.
    pub failed: usize,
    /// Failed and rolled back.
    pub rolled_back: usize,
    /// Stopped by loop detection.
    pub loop_detected: usize,
    /// Stopped on their budget.
    pub budget_exceeded: usize,
}

/// Counts of texts, in the order first seen.
#[derive(Clone, Debug, Default)]
struct Tally {
    counts: Vec<(String, usize)>,
    index: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, text: String) {
        match self.index.get(&text) {
            Some(&i) => self.counts[i].1 += 1,
            None => {
                self.index.insert(text.clone(), self.counts.len());
                self.counts.push((text, 1));
            }
        }
    }

    /// Most frequent first; ties in the order first seen.
    fn ranked(&self) -> Vec<(&str, usize)> {
        let mut ranked: Vec<(&str, usize)> = self.counts.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        ranked.sort_by_key(|&(_, n)| std::cmp::Reverse(n)); // stable: ties keep their order
        ranked
    }
}

/// The aggregate of many [`RunReport`]s: the runs' success rate and outcomes,
/// why the others ended, and per node its outcomes, latency and cost
/// percentiles and failure reasons.
///
/// ```
/// # use stategraph::exec::{ReportSummary, RunReport};
/// # fn reports() -> Vec<RunReport> { Vec::new() }
/// let summary: ReportSummary = reports().iter().collect();
/// for node in summary.nodes() {
///     println!("{}: p95 {:?}", node.name(), node.latency().map(|l| l.p95));
/// }
/// print!("{summary}"); // a table
/// ```
#[derive(Clone, Debug, Default)]
pub struct ReportSummary {
    outcomes: OutcomeCounts,
    reasons: Tally,
    nodes: Vec<NodeSummary>,
    by_name: HashMap<String, usize>,
}

impl ReportSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a run.
    pub fn add(&mut self, report: &RunReport) {
        let o = &mut self.outcomes;
        match &report.outcome {
            Outcome::Completed => {
                o.completed += 1;
                o.degraded += usize::from(report.is_degraded());
            }
            Outcome::Interrupted { .. } => o.interrupted += 1,
            Outcome::Failed { node, error } => {
                o.failed += 1;
                self.reasons.add(format!("{node}: {error}"));
            }
            Outcome::RolledBack { failed_node, error, .. } => {
                o.rolled_back += 1;
                self.reasons.add(format!("{failed_node}: {error}"));
            }
            Outcome::LoopDetected { node, visits } => {
                o.loop_detected += 1;
                self.reasons.add(format!("{node}: loop detected after {visits} visits"));
            }
            Outcome::BudgetExceeded { budget, .. } => {
                o.budget_exceeded += 1;
                self.reasons.add(format!("{budget} budget exceeded"));
            }
        }
        for task in &report.tasks {
            let i = match self.by_name.get(&task.node) {
                Some(&i) => i,
                None => {
                    self.by_name.insert(task.node.clone(), self.nodes.len());
                    self.nodes.push(NodeSummary::new(&task.node));
                    self.nodes.len() - 1
                }
            };
            self.nodes[i].add(task);
        }
    }

    /// The runs added.
    pub fn runs(&self) -> usize {
        let o = &self.outcomes;
        o.completed + o.interrupted + o.failed + o.rolled_back + o.loop_detected + o.budget_exceeded
    }

    /// Completed runs (degraded ones included) over all runs; `None`
    /// without runs. An interrupted run, waiting for a human, has not
    /// completed.
    pub fn success_rate(&self) -> Option<f64> {
        let runs = self.runs();
        (runs > 0).then(|| self.outcomes.completed as f64 / runs as f64)
    }

    /// How many runs ended each way.
    pub fn outcomes(&self) -> OutcomeCounts {
        self.outcomes
    }

    /// Why runs failed, rolled back, detected a loop or ran over budget,
    /// with counts, most frequent first: `"node: kind error: message"` for
    /// a failure, `"node: loop detected after N visits"`, `"cost budget
    /// exceeded"`. Reasons are grouped by their exact text.
    pub fn failure_reasons(&self) -> Vec<(&str, usize)> {
        self.reasons.ranked()
    }

    /// The node's summary, if any task of it was reported.
    pub fn node(&self, name: &str) -> Option<&NodeSummary> {
        self.by_name.get(name).map(|&i| &self.nodes[i])
    }

    /// The nodes' summaries, in the order first seen.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeSummary> {
        self.nodes.iter()
    }
}

impl<'a> Extend<&'a RunReport> for ReportSummary {
    fn extend<I: IntoIterator<Item = &'a RunReport>>(&mut self, reports: I) {
        reports.into_iter().for_each(|r| self.add(r));
    }
}

impl Extend<RunReport> for ReportSummary {
    fn extend<I: IntoIterator<Item = RunReport>>(&mut self, reports: I) {
        reports.into_iter().for_each(|r| self.add(&r));
    }
}

impl<'a> FromIterator<&'a RunReport> for ReportSummary {
    fn from_iter<I: IntoIterator<Item = &'a RunReport>>(reports: I) -> Self {
        let mut summary = Self::new();
        summary.extend(reports);
        summary
    }
}

impl FromIterator<RunReport> for ReportSummary {
    fn from_iter<I: IntoIterator<Item = RunReport>>(reports: I) -> Self {
        let mut summary = Self::new();
        summary.extend(reports);
        summary
    }
}

/// One node's tasks over the runs of a [`ReportSummary`].
#[derive(Clone, Debug)]
pub struct NodeSummary {
    name: String,
    /// Tasks by status, in the order of [`STATUSES`].
    statuses: [usize; 7],
    attempts: u64,
    latencies: Vec<Duration>,
    costs: Vec<f64>,
    reasons: Tally,
}

const STATUSES: [TaskStatus; 7] = [
    TaskStatus::Succeeded,
    TaskStatus::Degraded,
    TaskStatus::Fallback,
    TaskStatus::Dropped,
    TaskStatus::Failed,
    TaskStatus::Interrupted,
    TaskStatus::Retrying,
];

fn status_index(status: TaskStatus) -> usize {
    match status {
        TaskStatus::Succeeded => 0,
        TaskStatus::Degraded => 1,
        TaskStatus::Fallback => 2,
        TaskStatus::Dropped => 3,
        TaskStatus::Failed => 4,
        TaskStatus::Interrupted => 5,
        TaskStatus::Retrying => 6,
    }
}

impl NodeSummary {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            statuses: [0; 7],
            attempts: 0,
            latencies: Vec::new(),
            costs: Vec::new(),
            reasons: Tally::default(),
        }
    }

    fn add(&mut self, task: &TaskReport) {
        self.statuses[status_index(task.status)] += 1;
        self.attempts += u64::from(task.attempts);
        self.latencies.push(task.latency);
        self.costs.push(task.cost);
        if let Some(error) = &task.error {
            self.reasons.add(error.to_string());
        }
    }

    /// The node.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its tasks (a node that runs twice in a run counts twice).
    pub fn runs(&self) -> usize {
        self.latencies.len()
    }

    /// Its tasks that ended with `status`.
    pub fn count(&self, status: TaskStatus) -> usize {
        self.statuses[status_index(status)]
    }

    /// The attempts its tasks made, summed (more than [`runs`](Self::runs)
    /// when some were retried).
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Percentiles of its tasks' latencies; `None` without tasks.
    pub fn latency(&self) -> Option<Percentiles<Duration>> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        percentiles(&sorted)
    }

    /// The `p`th percentile of its tasks' latencies (see [`percentile`]).
    pub fn latency_at(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        percentile(&sorted, p)
    }

    /// Percentiles of its tasks' costs (a task that reported none counts
    /// as 0); `None` without tasks.
    pub fn cost(&self) -> Option<Percentiles<f64>> {
        percentiles(&self.sorted_costs())
    }

    /// The `p`th percentile of its tasks' costs (see [`percentile`]).
    pub fn cost_at(&self, p: f64) -> Option<f64> {
        percentile(&self.sorted_costs(), p)
    }

    /// The errors of its tasks that did not succeed on their own (failed,
    /// dropped, degraded, replaced by the fallback), as `"kind error:
    /// message"` with counts, most frequent first.
    pub fn failure_reasons(&self) -> Vec<(&str, usize)> {
        self.reasons.ranked()
    }

    fn sorted_costs(&self) -> Vec<f64> {
        let mut sorted = self.costs.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        sorted
    }
}

fn percentiles<T: Copy>(sorted: &[T]) -> Option<Percentiles<T>> {
    Some(Percentiles { p50: percentile(sorted, 50.0)?, p95: percentile(sorted, 95.0)?, p99: percentile(sorted, 99.0)? })
}

/// A table: the runs and their outcomes, one row per node, then the
/// failure reasons.
impl fmt::Display for ReportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.outcomes;
        let rate = self.success_rate().map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0));
        writeln!(
            f,
            "runs {}, completed {} ({rate}), degraded {}, interrupted {}, failed {}, rolled back {}, loops {}, over budget {}",
            self.runs(),
            o.completed,
            o.degraded,
            o.interrupted,
            o.failed,
            o.rolled_back,
            o.loop_detected,
            o.budget_exceeded,
        )?;
        let header = ["node", "runs", "ok", "degraded", "fallback", "dropped", "failed", "attempts"];
        let timing = ["p50", "p95", "p99", "cost p50", "cost p95", "cost p99"];
        let mut rows: Vec<Vec<String>> = vec![header.iter().chain(&timing).map(|h| (*h).to_owned()).collect()];
        for node in &self.nodes {
            let mut row = vec![node.name.clone(), node.runs().to_string()];
            row.extend(STATUSES[..5].iter().map(|&s| node.count(s).to_string()));
            row.push(node.attempts.to_string());
            match node.latency() {
                Some(l) => row.extend([l.p50, l.p95, l.p99].map(|d| format!("{d:.1?}"))),
                None => row.extend(["-".to_owned(), "-".to_owned(), "-".to_owned()]),
            }
            match node.cost() {
                Some(c) => row.extend([c.p50, c.p95, c.p99].map(|c| format!("{c:.4}"))),
                None => row.extend(["-".to_owned(), "-".to_owned(), "-".to_owned()]),
            }
            rows.push(row);
        }
        let widths: Vec<usize> =
            (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0)).collect();
        for row in &rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let w = widths[c];
                let cell = if c == 0 { format!("{cell:<w$}") } else { format!("  {cell:>w$}") };
                line.push_str(&cell);
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        let reasons = self.failure_reasons();
        if !reasons.is_empty() {
            writeln!(f, "failure reasons:")?;
            for (reason, count) in reasons {
                writeln!(f, "  {count:>5}  {reason}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_the_nearest_rank() {
        let hundred: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50));
        assert_eq!(percentile(&hundred, 95.0), Some(95));
        assert_eq!(percentile(&hundred, 99.0), Some(99));
        assert_eq!(percentile(&hundred, 100.0), Some(100));
        assert_eq!(percentile(&hundred, 0.0), Some(1));
        assert_eq!(percentile(&hundred, 0.5), Some(1));
        assert_eq!(percentile(&hundred, 50.5), Some(51));

        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50.0), Some(5));
        assert_eq!(percentile(&ten, 95.0), Some(10));
        assert_eq!(percentile(&ten, 99.0), Some(10));
        assert_eq!(percentile(&[7], 99.0), Some(7));
    }

    #[test]
    fn percentile_of_nothing_or_out_of_range_is_none() {
        assert_eq!(percentile::<u32>(&[], 50.0), None);
        assert_eq!(percentile(&[1, 2], -1.0), None);
        assert_eq!(percentile(&[1, 2], 100.1), None);
        assert_eq!(percentile(&[1, 2], f64::NAN), None);
    }

    #[test]
    fn tally_ranks_by_count_then_first_seen() {
        let mut tally = Tally::default();
        for text in ["b", "a", "a", "c", "b", "a"] {
            tally.add(text.to_owned());
        }
        assert_eq!(tally.ranked(), [("a", 3), ("b", 2), ("c", 1)]);
    }
}

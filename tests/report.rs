//! Run reports and their aggregate: a report lists each task a run ran with
//! its outcome, attempts, latency and cost (only when asked for); a
//! `ReportSummary` over many reports gives the success rate, nearest-rank
//! percentiles per node and the failure reasons.

use std::time::Duration;

use stategraph::checkpoint::TaskStatus;
use stategraph::node::TaskError;
use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Job {
    /// 0: every node succeeds; 1: `call` fails for good; 2: `call` fails
    /// on every attempt with a transient error.
    mode: u8,
    #[reducer(append)]
    log: Vec<String>,
}

const BACKOFF: Duration = Duration::from_millis(5);

/// `plan` reports 0.25 + 0.5, `fetch` fails once and reports 0.125 per
/// attempt, `enrich` reports 0.0625 and fails, and degrades.
fn pipeline() -> StateGraph<Job> {
    StateGraph::new()
        .add_node("plan", |_: &Job, ctx: &Ctx| {
            ctx.add_cost(0.25);
            ctx.add_cost(0.5);
            async { Ok(JobUpdate::default().log(vec!["planned".into()])) }
        })
        .add_node("fetch", |_: &Job, ctx: &Ctx| {
            ctx.add_cost(0.125);
            let attempt = ctx.attempt();
            async move {
                if attempt == 1 {
                    Err(NodeError::transient("flaky"))
                } else {
                    Ok(JobUpdate::default().log(vec!["fetched".into()]))
                }
            }
        })
        .add_node("enrich", |_: &Job, ctx: &Ctx| {
            ctx.add_cost(0.0625);
            async { Err::<JobUpdate, _>(NodeError::permanent("no data")) }
        })
        .add_edge(START, "plan")
        .add_edge("plan", "fetch")
        .add_edge("fetch", "enrich")
        .add_edge("enrich", END)
        .retry("fetch", RetryPolicy::new(3).initial(BACKOFF).jitter(false))
        .degrade("enrich", |_: &Job| JobUpdate::default().log(vec!["enrich (default)".into()]))
}

#[tokio::test]
async fn report_lists_each_task_with_outcome_attempts_latency_and_cost() {
    let graph = pipeline().compile().unwrap().with_reports();
    let run = graph.invoke(Job::default(), "t1").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    let report = run.report.expect("a report was asked for");
    assert_eq!(report.thread, "t1");
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(report.is_degraded());

    let rows: Vec<(u64, &str, TaskStatus, u32, f64)> =
        report.tasks.iter().map(|t| (t.step, t.node.as_str(), t.status, t.attempts, t.cost)).collect();
    assert_eq!(
        rows,
        [
            (1, "plan", TaskStatus::Succeeded, 1, 0.75),
            (2, "fetch", TaskStatus::Succeeded, 2, 0.25),
            (3, "enrich", TaskStatus::Degraded, 1, 0.0625),
        ]
    );
    assert_eq!(report.cost(), 1.0625);
    let errors: Vec<Option<&str>> = report.tasks.iter().map(|t| t.error.as_ref().map(|e| e.message.as_str())).collect();
    assert_eq!(errors, [None, None, Some("no data")]);
    // The retried task's latency includes its backoff.
    assert!(report.tasks[1].latency >= BACKOFF, "{:?}", report.tasks[1].latency);

    // Off by default, and per run either way.
    let plain = pipeline().compile().unwrap();
    assert!(plain.invoke(Job::default(), "t2").await.unwrap().report.is_none());
    assert!(graph.run("t3").report(false).invoke(Job::default()).await.unwrap().report.is_none());
    let asked = plain.run("t4").report(true).invoke(Job::default()).await.unwrap();
    assert_eq!(asked.report.map(|r| r.tasks.len()), Some(3));
}

#[tokio::test]
async fn report_of_a_resume_lists_what_the_resume_ran() {
    let graph = StateGraph::new()
        .add_node("draft", |_: &Job| async { Ok(JobUpdate::default().log(vec!["draft".into()])) })
        .add_node("approve", |_: &Job, ctx: &Ctx| {
            let answer: NodeResult<String> = ctx.interrupt("ok?");
            async move { Ok(JobUpdate::default().log(vec![answer?])) }
        })
        .add_edge(START, "draft")
        .add_edge("draft", "approve")
        .add_edge("approve", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
        .with_reports();
    let first = graph.invoke(Job::default(), "t").await.unwrap();
    let statuses = |run: &RunResult<Job>| -> Vec<(u64, String, TaskStatus)> {
        let report = run.report.as_ref().expect("reports are on");
        report.tasks.iter().map(|t| (t.step, t.node.clone(), t.status)).collect()
    };
    assert_eq!(
        statuses(&first),
        [(1, "draft".to_owned(), TaskStatus::Succeeded), (2, "approve".to_owned(), TaskStatus::Interrupted)]
    );
    let resumed = graph.resume("t", Resume::value("yes")).await.unwrap();
    assert!(resumed.is_completed());
    assert_eq!(statuses(&resumed), [(2, "approve".to_owned(), TaskStatus::Succeeded)]);
    assert_eq!(resumed.state.log, ["draft", "yes"]);
}

fn task(node: &str, status: TaskStatus, latency_ms: u64, cost: f64, error: Option<(ErrorKind, &str)>) -> TaskReport {
    TaskReport {
        step: 1,
        task: 0,
        node: node.to_owned(),
        status,
        attempts: 1,
        latency: Duration::from_millis(latency_ms),
        cost,
        error: error.map(|(kind, message)| TaskError { kind, message: message.to_owned() }),
    }
}

fn run(i: usize, outcome: Outcome, tasks: Vec<TaskReport>) -> RunReport {
    RunReport { thread: format!("run-{i}"), outcome, tasks }
}

fn failed(node: &str, kind: ErrorKind, message: &str) -> Outcome {
    Outcome::Failed { node: node.to_owned(), error: TaskError { kind, message: message.to_owned() } }
}

#[test]
fn metrics_aggregate_report_percentiles_are_right_on_known_data() {
    // 100 runs; run i's `llm` task took i ms and cost i/100; the first ten
    // runs also ran `ocr`, taking i ms.
    let mut reports = Vec::new();
    for i in 1..=100u64 {
        let (outcome, llm) = match i {
            1..=4 => {
                (failed("llm", ErrorKind::Transient, "rate limited"), Some((ErrorKind::Transient, "rate limited")))
            }
            5..=6 => (failed("llm", ErrorKind::Timeout, "too slow"), Some((ErrorKind::Timeout, "too slow"))),
            7 => (Outcome::BudgetExceeded { budget: BudgetKind::Cost, used: 5.5, limit: 5.0 }, None),
            8 => (Outcome::LoopDetected { node: "llm".into(), visits: 3 }, None),
            9 => (Outcome::Interrupted { interrupts: Vec::new() }, None),
            10 => (
                Outcome::RolledBack {
                    failed_node: "llm".into(),
                    error: TaskError { kind: ErrorKind::Transient, message: "rate limited".into() },
                    compensated: vec!["ocr".into()],
                    compensation_failures: Vec::new(),
                },
                Some((ErrorKind::Transient, "rate limited")),
            ),
            _ => (Outcome::Completed, None),
        };
        let status = match (i, llm) {
            (_, Some(_)) => TaskStatus::Failed,
            (11..=15, None) => TaskStatus::Degraded,
            _ => TaskStatus::Succeeded,
        };
        let error = match (status, llm) {
            (TaskStatus::Degraded, _) => Some((ErrorKind::Permanent, "bad prompt")),
            (_, error) => error,
        };
        let mut tasks = Vec::new();
        if i <= 10 {
            tasks.push(task("ocr", TaskStatus::Succeeded, i, 0.0, None));
        }
        tasks.push(task("llm", status, i, i as f64 / 100.0, error));
        reports.push(run(i as usize, outcome, tasks));
    }
    let summary: ReportSummary = reports.iter().collect();

    assert_eq!(summary.runs(), 100);
    assert_eq!(summary.success_rate(), Some(0.9));
    let outcomes = summary.outcomes();
    assert_eq!(
        (outcomes.completed, outcomes.degraded, outcomes.failed, outcomes.rolled_back),
        (90, 5, 6, 1),
        "{outcomes:?}"
    );
    assert_eq!((outcomes.interrupted, outcomes.loop_detected, outcomes.budget_exceeded), (1, 1, 1));
    assert_eq!(
        summary.failure_reasons(),
        [
            ("llm: transient error: rate limited", 5),
            ("llm: timeout error: too slow", 2),
            ("cost budget exceeded", 1),
            ("llm: loop detected after 3 visits", 1),
        ]
    );

    let names: Vec<&str> = summary.nodes().map(|n| n.name()).collect();
    assert_eq!(names, ["ocr", "llm"], "first seen first");
    let llm = summary.node("llm").unwrap();
    assert_eq!(llm.runs(), 100);
    let ms = Duration::from_millis;
    let latency = llm.latency().unwrap();
    assert_eq!((latency.p50, latency.p95, latency.p99), (ms(50), ms(95), ms(99)));
    assert_eq!(llm.latency_at(100.0), Some(ms(100)));
    let cost = llm.cost().unwrap();
    assert_eq!((cost.p50, cost.p95, cost.p99), (50.0 / 100.0, 95.0 / 100.0, 99.0 / 100.0));
    assert_eq!(
        (llm.count(TaskStatus::Succeeded), llm.count(TaskStatus::Degraded), llm.count(TaskStatus::Failed)),
        (88, 5, 7)
    );
    assert_eq!(
        llm.failure_reasons(),
        [("transient error: rate limited", 5), ("permanent error: bad prompt", 5), ("timeout error: too slow", 2)]
    );

    // Ten samples: the median is the 5th, p95 and p99 the 10th.
    let ocr = summary.node("ocr").unwrap();
    let latency = ocr.latency().unwrap();
    assert_eq!((latency.p50, latency.p95, latency.p99), (ms(5), ms(10), ms(10)));
    assert_eq!(ocr.cost().map(|c| c.p99), Some(0.0));
    assert!(ocr.failure_reasons().is_empty());

    assert_eq!(summary.node("nobody").map(|n| n.runs()), None);
    let empty = ReportSummary::new();
    assert_eq!((empty.runs(), empty.success_rate()), (0, None));

    let table = summary.to_string();
    assert!(table.starts_with("runs 100, completed 90 (90.0%), degraded 5"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("llm") && l.contains("50.0ms")), "{table}");
    assert!(table.contains("      5  llm: transient error: rate limited"), "{table}");
}

#[tokio::test]
async fn report_aggregate_over_real_runs_gives_success_rate_and_failure_reasons() {
    let graph = StateGraph::new()
        .add_node("plan", |_: &Job, ctx: &Ctx| {
            ctx.add_cost(0.25);
            async { Ok(JobUpdate::default().log(vec!["planned".into()])) }
        })
        .add_node("call", |job: &Job| {
            let mode = job.mode;
            async move {
                match mode {
                    1 => Err(NodeError::permanent("bad request")),
                    2 => Err(NodeError::transient("api down")),
                    _ => Ok(JobUpdate::default().log(vec!["called".into()])),
                }
            }
        })
        .add_edge(START, "plan")
        .add_edge("plan", "call")
        .add_edge("call", END)
        .retry("call", RetryPolicy::new(2).initial(Duration::from_millis(1)).jitter(false))
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
        .with_reports();
    let modes = [0, 1, 0, 2, 0, 1, 0, 0, 1, 0];
    let mut summary = ReportSummary::new();
    for (i, mode) in modes.into_iter().enumerate() {
        let run = graph.invoke(Job { mode, ..Job::default() }, &format!("job-{i}")).await.unwrap();
        assert_eq!(run.is_completed(), mode == 0);
        summary.add(run.report.as_deref().expect("reports are on"));
    }
    assert_eq!(summary.runs(), 10);
    assert_eq!(summary.success_rate(), Some(0.6));
    assert_eq!(summary.outcomes().failed, 4);
    assert_eq!(
        summary.failure_reasons(),
        [("call: permanent error: bad request", 3), ("call: transient error: api down", 1)]
    );
    let call = summary.node("call").unwrap();
    assert_eq!((call.runs(), call.count(TaskStatus::Succeeded), call.count(TaskStatus::Failed)), (10, 6, 4));
    assert_eq!(call.attempts(), 6 + 3 + 2, "the transient failure was retried once");
    let plan = summary.node("plan").unwrap();
    assert_eq!(plan.cost().map(|c| (c.p50, c.p99)), Some((0.25, 0.25)));
    let latency = plan.latency().unwrap();
    assert!(latency.p50 <= latency.p95 && latency.p95 <= latency.p99);
}

//! Human approval before a risky action: a refund agent proposes a refund,
//! the run stops for approval, and a later invocation (another process,
//! hours later) approves, rejects or modifies it by thread id. A decision
//! after the deadline counts as a rejection.
//!
//! ```sh
//! cargo run --example approval                                   # all four endings, one after another
//! cargo run --example approval -- request --thread r1 [--deadline-secs 3600]
//! cargo run --example approval -- approve --thread r1
//! cargo run --example approval -- reject  --thread r1 --comment "customer already refunded"
//! cargo run --example approval -- modify  --thread r1 --action "refund 80.00 EUR to ACME"
//! ```
//!
//! `--store DIR` (default `./stategraph-approvals`) keeps the threads.

use std::path::PathBuf;

use stategraph::node::{Choice, now_ms};
use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Refund {
    customer: String,
    amount_cents: i64,
    requested_at_ms: u64,
    deadline_secs: u64,
    verdict: Option<Verdict>,
    #[reducer(append)]
    log: Vec<String>,
}

#[node]
async fn propose(state: &Refund) -> NodeResult<RefundUpdate> {
    let text = format!("proposed: refund {:.2} EUR to {}", state.amount_cents as f64 / 100.0, state.customer);
    Ok(RefundUpdate::default().log(vec![text]))
}

/// Asks for approval; the deadline is fixed by the state, so it is the same
/// each time the node runs.
#[node]
async fn approve_refund(state: &Refund, ctx: &Ctx) -> NodeResult<RefundUpdate> {
    let action = format!("refund {:.2} EUR to {}", state.amount_cents as f64 / 100.0, state.customer);
    let request = ApprovalRequest::new(action, Risk::High)
        .details(serde_json::json!({ "customer": state.customer, "amount_cents": state.amount_cents }))
        .deadline_ms(state.requested_at_ms + state.deadline_secs * 1000);
    let verdict = ctx.approval(&request)?;
    Ok(RefundUpdate::default().verdict(Some(verdict)))
}

#[node]
async fn execute(state: &Refund) -> NodeResult<RefundUpdate> {
    let line = match &state.verdict {
        Some(Verdict::Approved { action, modified: false }) => format!("done: {action}"),
        Some(Verdict::Approved { action, modified: true }) => format!("done, as modified: {action}"),
        Some(Verdict::Rejected { comment }) => format!("not done: rejected ({comment})"),
        Some(Verdict::Expired { .. }) => "not done: the approval came after the deadline".to_owned(),
        None => "not done: no decision".to_owned(),
    };
    Ok(RefundUpdate::default().log(vec![line]))
}

fn graph(store: &std::path::Path) -> Result<CompiledGraph<Refund>, Box<dyn std::error::Error>> {
    Ok(StateGraph::new()
        .add_edge(START, propose)
        .add_edge(propose, approve_refund)
        .add_edge(approve_refund, execute)
        .add_edge(execute, END)
        .compile()?
        .with_checkpointer(SledSaver::open(store)?))
}

fn request(deadline_secs: u64) -> Refund {
    Refund {
        customer: "ACME".into(),
        amount_cents: 12_000,
        requested_at_ms: now_ms(),
        deadline_secs,
        ..Default::default()
    }
}

fn print(run: &RunResult<Refund>) {
    for interrupt in run.interrupts() {
        println!("waiting for approval at `{}`: {:?}", interrupt.node, interrupt.kind);
    }
    for line in &run.state.log {
        println!("  {line}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut command, mut thread, mut store) = (None, None, PathBuf::from("stategraph-approvals"));
    let (mut comment, mut action, mut deadline_secs) = (String::from("no reason given"), None, 3600);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--thread" => thread = Some(value()?),
            "--store" => store = value()?.into(),
            "--comment" => comment = value()?,
            "--action" => action = Some(value()?),
            "--deadline-secs" => deadline_secs = value()?.parse()?,
            word if command.is_none() && !word.starts_with('-') => command = Some(word.to_owned()),
            other => return Err(format!("unexpected argument `{other}`").into()),
        }
    }
    let graph = graph(&store)?;
    let Some(command) = command else {
        // The demo: each ending on its own thread.
        let base = format!("refund-{}", std::process::id());
        let endings = [
            ("approve", Decision::approve(), 3600),
            ("reject", Decision::reject("customer already refunded by bank transfer"), 3600),
            ("modify", Decision::modify("refund 80.00 EUR to ACME"), 3600),
            // A deadline that has passed when the decision comes.
            ("late", Decision::at(Choice::Approve, now_ms() + 10_000), 0),
        ];
        for (name, decision, deadline) in endings {
            let thread = format!("{base}-{name}");
            println!("{thread}:");
            print(&graph.invoke(request(deadline), &thread).await?);
            let run = graph.resume(&thread, decision.into_resume()).await?;
            println!("  {}", run.state.log.last().map_or("", String::as_str));
        }
        return Ok(());
    };
    let thread = thread.ok_or("--thread ID is required")?;
    let run = match command.as_str() {
        "request" => graph.invoke(request(deadline_secs), &thread).await?,
        "approve" => graph.resume(&thread, Decision::approve().into_resume()).await?,
        "reject" => graph.resume(&thread, Decision::reject(comment).into_resume()).await?,
        "modify" => {
            let action = action.ok_or("modify needs --action")?;
            graph.resume(&thread, Decision::modify(action).into_resume()).await?
        }
        other => return Err(format!("unknown command `{other}`: request, approve, reject, modify").into()),
    };
    print(&run);
    Ok(())
}

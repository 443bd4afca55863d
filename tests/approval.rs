//! Approvals on top of interrupts: approve, reject, modify, and a decision
//! past the deadline, each ending as specified.

use stategraph::node::{Choice, InterruptKind};
use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Payment {
    deadline_ms: u64,
    verdict: Option<Verdict>,
    #[reducer(append)]
    done: Vec<String>,
}

#[node]
async fn ask(state: &Payment, ctx: &Ctx) -> NodeResult<PaymentUpdate> {
    let request = ApprovalRequest::new("pay 500 EUR to Initech", Risk::High)
        .details(serde_json::json!({ "invoice": "INV-7" }))
        .deadline_ms(state.deadline_ms);
    let verdict = ctx.approval(&request)?;
    let done = verdict.approved_action().map(|a| vec![a.to_owned()]).unwrap_or_default();
    Ok(PaymentUpdate::default().verdict(Some(verdict)).done(done))
}

fn graph() -> CompiledGraph<Payment> {
    StateGraph::new().add_edge(START, ask).add_edge(ask, END).compile().unwrap().with_checkpointer(MemorySaver::new())
}

/// Runs to the approval, checks the request, then resumes with `decision`.
async fn decide(decision: Decision, deadline_ms: u64) -> RunResult<Payment> {
    let graph = graph();
    let run = graph.invoke(Payment { deadline_ms, ..Default::default() }, "p").await.unwrap();
    let [interrupt] = run.interrupts() else { panic!("expected one interrupt: {:?}", run.outcome) };
    let InterruptKind::Node { payload } = &interrupt.kind else { panic!("{interrupt:?}") };
    let request: ApprovalRequest = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(
        (request.action.as_str(), request.risk, request.deadline_ms),
        ("pay 500 EUR to Initech", Risk::High, Some(deadline_ms))
    );
    assert!(run.state.done.is_empty(), "nothing happens before the decision");
    let run = graph.resume("p", decision.into_resume()).await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    run
}

const DEADLINE: u64 = 2_000_000_000_000;

#[tokio::test]
async fn approval_approve_runs_the_action_as_asked() {
    let run = decide(Decision::at(Choice::Approve, DEADLINE - 1), DEADLINE).await;
    assert_eq!(run.state.verdict, Some(Verdict::Approved { action: "pay 500 EUR to Initech".into(), modified: false }));
    assert_eq!(run.state.done, ["pay 500 EUR to Initech"]);
}

#[tokio::test]
async fn approval_reject_keeps_the_comment_and_does_nothing() {
    let run = decide(Decision::reject("duplicate invoice"), DEADLINE).await;
    assert_eq!(run.state.verdict, Some(Verdict::Rejected { comment: "duplicate invoice".into() }));
    assert!(run.state.done.is_empty());
}

#[tokio::test]
async fn approval_modify_runs_the_new_action() {
    let run = decide(Decision::modify("pay 450 EUR to Initech"), DEADLINE).await;
    assert_eq!(run.state.verdict, Some(Verdict::Approved { action: "pay 450 EUR to Initech".into(), modified: true }));
    assert_eq!(run.state.done, ["pay 450 EUR to Initech"]);
}

#[tokio::test]
async fn approval_past_the_deadline_counts_as_rejected_and_says_so() {
    let run = decide(Decision::at(Choice::Approve, DEADLINE + 1), DEADLINE).await;
    assert_eq!(run.state.verdict, Some(Verdict::Expired { deadline_ms: DEADLINE, decided_at_ms: DEADLINE + 1 }));
    assert!(run.state.done.is_empty(), "a late approval does nothing");
}

#[tokio::test]
async fn approval_a_resume_that_is_not_a_decision_is_a_clear_failure() {
    let graph = graph();
    graph.invoke(Payment { deadline_ms: DEADLINE, ..Default::default() }, "p").await.unwrap();
    let run = graph.resume("p", Resume::value("yes")).await.unwrap();
    assert!(
        matches!(&run.outcome, Outcome::Failed { error, .. } if error.message.contains("does not fit")),
        "{:?}",
        run.outcome
    );
}

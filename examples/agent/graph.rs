//! The agent: its state (a conversation under the messages reducer), its
//! nodes (planner and its backup, two tools and their alternatives, a loop
//! breaker, a writer held to an output contract, a reviewer, a human), and
//! the graph that wires them with the policies that handle each failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use stategraph::prelude::*;

use crate::llm::{ChatMessage, ChatRequest, Llm, ToolCall, Tools};

/// The conversation and what the agent keeps beside it.
#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Agent {
    /// The user's request.
    pub(crate) task: String,
    /// System, user, assistant and tool messages: appended, and replaced by
    /// id (a task run again after a crash writes the same ids).
    #[reducer(messages)]
    pub(crate) messages: Vec<ChatMessage>,
    /// The tool call the planner asked for and no tool has answered yet.
    pub(crate) pending: Option<ToolCall>,
    /// Every tool call asked for, as `name(arguments)`, oldest first.
    #[reducer(append)]
    pub(crate) calls: Vec<String>,
    /// Tools no longer offered to the model (after it looped on one).
    #[reducer(append)]
    pub(crate) withheld_tools: Vec<String>,
    /// The model's temperature; lowered to 0 after a loop.
    pub(crate) temperature: Option<f64>,
    /// The planner's final text, for the writer to put in the contract's form.
    pub(crate) draft: Option<String>,
    /// The brief, once it meets the contract.
    pub(crate) answer: Option<Brief>,
    /// Why a human must look before the brief goes out.
    pub(crate) needs_human: Option<String>,
    /// What the agent's own nodes handled, by name (`loop_breaks`,
    /// `tool_errors_reported`, ...): kept in the checkpoints, so counts
    /// survive a budget stop and a resume.
    #[reducer(with = add_counts)]
    pub(crate) incidents: BTreeMap<String, u64>,
}

fn add_counts(current: &mut BTreeMap<String, u64>, new: BTreeMap<String, u64>) {
    for (key, n) in new {
        *current.entry(key).or_default() += n;
    }
}

fn incident(name: &str) -> BTreeMap<String, u64> {
    BTreeMap::from([(name.to_owned(), 1)])
}

/// The output contract: what a brief must be to go out without a human.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Brief {
    pub(crate) summary: String,
    pub(crate) lines: u64,
    pub(crate) fare_eur: f64,
    pub(crate) sources: Vec<String>,
    /// `high` or `low`; a brief without it is the writer's, `high`.
    pub(crate) confidence: String,
    pub(crate) note: Option<String>,
}

pub(crate) const CONTRACT: &str = "Answer with one JSON object: `summary` (20 to 400 characters), `lines` (the number of \
                            tram lines, an integer), `fare_eur` (a number of euros), `sources` (at least one https \
                            URL), optionally `confidence` (`high` or `low`) and `note`.";

/// Checks `text` against the contract; the error lists every violation.
pub(crate) fn check_contract(text: &str) -> Result<Brief, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
    let mut faults = Vec::new();
    let summary = value["summary"].as_str().unwrap_or_default();
    if !(20..=400).contains(&summary.chars().count()) {
        faults.push("`summary` must be 20 to 400 characters of text".to_owned());
    }
    let lines = value["lines"].as_u64().filter(|n| (1..=50).contains(n));
    if lines.is_none() {
        faults.push(format!("`lines` must be an integer from 1 to 50, not {}", value["lines"]));
    }
    let fare = value["fare_eur"].as_f64().filter(|f| *f > 0.0);
    if fare.is_none() {
        faults.push(format!("`fare_eur` must be a positive number of euros, not {}", value["fare_eur"]));
    }
    let sources: Vec<String> = value["sources"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).filter(|u| u.starts_with("https://")).map(str::to_owned).collect())
        .unwrap_or_default();
    if sources.is_empty() {
        faults.push("`sources` must list at least one https URL".to_owned());
    }
    let confidence = value["confidence"].as_str().unwrap_or("high").to_owned();
    if confidence != "high" && confidence != "low" {
        faults.push(format!("`confidence` must be `high` or `low`, not {confidence:?}"));
    }
    if !faults.is_empty() {
        return Err(faults.join("; "));
    }
    Ok(Brief {
        summary: summary.to_owned(),
        lines: lines.unwrap_or_default(),
        fare_eur: fare.unwrap_or_default(),
        sources,
        confidence,
        note: value["note"].as_str().map(str::to_owned),
    })
}

const TOOLS: [&str; 2] = ["search", "fetch_page"];

/// A message id no other task writes, and the same when this task runs again.
fn id(ctx: &Ctx, what: &str) -> String {
    format!("{}/{what}", ctx.idempotency_key())
}

/// One planning call to `model`: the conversation and the tools still
/// offered; the reply is a tool call to make, or the final text.
async fn plan_on(model: &str, agent: &Agent, ctx: &Ctx, llm: &Llm) -> NodeResult<AgentUpdate> {
    let tools: Vec<&str> = TOOLS.into_iter().filter(|t| !agent.withheld_tools.iter().any(|w| w == t)).collect();
    let request = ChatRequest {
        model,
        messages: &agent.messages,
        tools: &tools,
        temperature: agent.temperature.unwrap_or(0.7),
        json: false,
    };
    let reply = llm.chat(&request).await?;
    ctx.add_cost(llm.bill(model, &reply));
    ctx.add_tokens(reply.prompt_tokens + reply.completion_tokens);
    let mut message = reply.message;
    message.id = id(ctx, "assistant");
    let update = match message.tool_calls.first() {
        Some(call) => AgentUpdate::default().pending(Some(call.clone())).calls(vec![call.signature()]),
        None => AgentUpdate::default().pending(None).draft(message.content.clone()),
    };
    Ok(update.messages(vec![message]))
}

/// The planner on the main model. An API error (429, 500, a call that
/// hangs past the timeout) is retried with backoff and jitter (the client
/// waits out a `Retry-After`); when the attempts run out, the backup model
/// plans instead.
#[node(retry(max_attempts = 3, initial = "100ms", jitter = true), timeout = "2s", fallback = planner_backup)]
pub(crate) async fn planner(agent: &Agent, ctx: &Ctx, llm: Res<Llm>) -> NodeResult<AgentUpdate> {
    plan_on("main", agent, ctx, &llm).await
}

/// The same planning on the backup model.
#[node(retry(max_attempts = 2, initial = "100ms", jitter = true), timeout = "2s")]
pub(crate) async fn planner_backup(agent: &Agent, ctx: &Ctx, llm: Res<Llm>) -> NodeResult<AgentUpdate> {
    plan_on("backup", agent, ctx, &llm).await
}

fn pending(agent: &Agent) -> NodeResult<&ToolCall> {
    agent.pending.as_ref().ok_or_else(|| NodeError::permanent("no tool call is pending"))
}

/// The tool's answer to the pending call, in the conversation.
fn answered(ctx: &Ctx, call: &ToolCall, content: impl Into<String>) -> AgentUpdate {
    AgentUpdate::default().messages(vec![ChatMessage::tool(id(ctx, "tool"), call, content)]).pending(None)
}

/// The search API: retried, then its mirror (the alternative tool).
#[node(retry(max_attempts = 3, initial = "50ms", jitter = true), timeout = "2s", fallback = search_mirror)]
pub(crate) async fn search(agent: &Agent, ctx: &Ctx, tools: Res<Tools>) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let results = tools.get("search", "q", &call.arg("query").unwrap_or_default()).await?;
    Ok(answered(ctx, call, results))
}

/// The alternative search tool.
#[node(timeout = "2s")]
pub(crate) async fn search_mirror(agent: &Agent, ctx: &Ctx, tools: Res<Tools>) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let results = tools.get("mirror/search", "q", &call.arg("query").unwrap_or_default()).await?;
    Ok(answered(ctx, call, results).incidents(incident("alternative_tool")))
}

/// The page fetcher: retried, then the cache.
#[node(retry(max_attempts = 2, initial = "50ms", jitter = true), timeout = "2s", fallback = fetch_cached)]
pub(crate) async fn fetch_page(agent: &Agent, ctx: &Ctx, tools: Res<Tools>) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let page = tools.get("fetch", "url", &call.arg("url").unwrap_or_default()).await?;
    Ok(answered(ctx, call, page))
}

/// The cached copy; when there is none either, the failure goes back to the
/// agent as the tool's answer, so the planner replans without the page.
#[node(timeout = "2s")]
pub(crate) async fn fetch_cached(agent: &Agent, ctx: &Ctx, tools: Res<Tools>) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let url = call.arg("url").unwrap_or_default();
    match tools.get("cache", "url", &url).await {
        Ok(page) => Ok(answered(ctx, call, page).incidents(incident("alternative_tool"))),
        Err(cache) => {
            let fetch = ctx.last_error().map_or_else(String::new, |e| e.message.clone());
            let report = format!(
                "error: fetch_page could not read {url} ({fetch}) and no cached copy exists ({}); plan without it",
                cache.message
            );
            Ok(answered(ctx, call, report).incidents(incident("tool_errors_reported")))
        }
    }
}

/// A tool the agent does not have: said back to the model.
#[node]
pub(crate) async fn no_such_tool(agent: &Agent, ctx: &Ctx) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let report = format!("error: there is no tool `{}`; the tools are {}", call.function.name, TOOLS.join(", "));
    Ok(answered(ctx, call, report).incidents(incident("tool_errors_reported")))
}

/// The third identical call: not run. The model is told it is looping, the
/// tool is withdrawn and the temperature lowered, so the next action is a
/// different one.
#[node]
pub(crate) async fn break_loop(agent: &Agent, ctx: &Ctx) -> NodeResult<AgentUpdate> {
    let call = pending(agent)?;
    let warning = format!(
        "System notice: you are looping. You asked for {} three times and got the same answer each time. `{}` is \
         no longer available: use another tool or answer with what you have.",
        call.signature(),
        call.function.name
    );
    Ok(answered(ctx, call, "not run: the same call a third time")
        .messages(vec![ChatMessage::new(id(ctx, "loop"), "system", warning)])
        .withheld_tools(vec![call.function.name.clone()])
        .temperature(Some(0.0))
        .incidents(incident("loop_breaks")))
}

/// Puts the draft in the contract's form on the main model. A reply that
/// breaks the contract is invalid output: retried with the violations as
/// feedback, then handed to the reviewer.
#[node(retry(max_attempts = 2, initial = "20ms"), timeout = "2s", fallback = reviewer)]
pub(crate) async fn finalize(agent: &Agent, ctx: &Ctx, llm: Res<Llm>) -> NodeResult<AgentUpdate> {
    let mut messages = vec![
        ChatMessage::new("contract", "system", CONTRACT),
        ChatMessage::new("draft", "user", agent.draft.clone().unwrap_or_default()),
    ];
    if let Some(rejected) = ctx.last_error() {
        let feedback = format!("Your previous answer was rejected: {}. Fix exactly that.", rejected.message);
        messages.push(ChatMessage::new("feedback", "user", feedback));
    }
    let text = write_json("main", &messages, ctx, &llm).await?;
    let brief = check_contract(&text).map_err(NodeError::invalid_output)?;
    Ok(AgentUpdate::default().answer(Some(brief)))
}

/// One JSON-mode call; its text.
async fn write_json(model: &str, messages: &[ChatMessage], ctx: &Ctx, llm: &Llm) -> NodeResult<String> {
    let request = ChatRequest { model, messages, tools: &[], temperature: 0.0, json: true };
    let reply = llm.chat(&request).await?;
    ctx.add_cost(llm.bill(model, &reply));
    ctx.add_tokens(reply.prompt_tokens + reply.completion_tokens);
    Ok(reply.message.content.unwrap_or_default())
}

/// The reviewer agent: another model, given the draft and why the writer's
/// last attempt was rejected. What it cannot vouch for goes to a human.
#[node(timeout = "2s")]
pub(crate) async fn reviewer(agent: &Agent, ctx: &Ctx, llm: Res<Llm>) -> NodeResult<AgentUpdate> {
    let rejected = ctx.last_error().map_or_else(String::new, |e| e.message.clone());
    let messages = [
        ChatMessage::new("review", "system", format!("You review briefs before they go out. {CONTRACT}")),
        ChatMessage::new("draft", "user", agent.draft.clone().unwrap_or_default()),
        ChatMessage::new("rejected", "user", format!("The writer's answer was rejected: {rejected}")),
    ];
    let text = write_json("reviewer", &messages, ctx, &llm).await?;
    let brief = check_contract(&text).map_err(NodeError::invalid_output)?;
    let needs_human = (brief.confidence != "high").then(|| {
        format!("the reviewer's confidence is {}: {}", brief.confidence, brief.note.clone().unwrap_or_default())
    });
    Ok(AgentUpdate::default().answer(Some(brief)).needs_human(needs_human).incidents(incident("reviewer_escalations")))
}

/// The last resort: a person approves the brief, changes its summary, or
/// rejects it.
#[node]
pub(crate) async fn human_approval(agent: &Agent, ctx: &Ctx) -> NodeResult<AgentUpdate> {
    let Some(brief) = agent.answer.clone() else { return Err(NodeError::permanent("no brief to approve")) };
    let request = ApprovalRequest::new(brief.summary.clone(), Risk::Medium)
        .details(json!({ "brief": brief, "why": agent.needs_human }));
    let verdict = ctx.approval(&request)?;
    let update = AgentUpdate::default().needs_human(None).incidents(incident("human_approvals"));
    Ok(match verdict.approved_action() {
        Some(summary) => {
            let approved = Brief { summary: summary.to_owned(), confidence: "high".into(), ..brief };
            update.answer(Some(approved))
        }
        None => update.answer(None).incidents(incident("human_rejections")),
    })
}

/// Where the planner's reply leads.
#[derive(Route)]
pub(crate) enum AfterPlan {
    #[to(search)]
    Search,
    #[to(fetch_page)]
    Fetch,
    #[to(no_such_tool)]
    UnknownTool,
    #[to(break_loop)]
    Looping,
    #[to(finalize)]
    Answer,
}

/// A third call identical to the two before it is a loop (the lesson's
/// "3+ identical calls").
pub(crate) fn after_plan(agent: &Agent) -> AfterPlan {
    let Some(call) = &agent.pending else { return AfterPlan::Answer };
    let signature = call.signature();
    let repeats = agent.calls.iter().rev().take_while(|c| **c == signature).count();
    if repeats >= 3 {
        return AfterPlan::Looping;
    }
    match call.function.name.as_str() {
        "search" => AfterPlan::Search,
        "fetch_page" => AfterPlan::Fetch,
        _ => AfterPlan::UnknownTool,
    }
}

#[derive(Route)]
pub(crate) enum AfterFinal {
    #[to(human_approval)]
    Human,
    #[to(END)]
    Done,
}

pub(crate) fn after_final(agent: &Agent) -> AfterFinal {
    if agent.needs_human.is_some() { AfterFinal::Human } else { AfterFinal::Done }
}

/// The compiled agent, with its clients as resources.
pub(crate) fn build(llm: Arc<Llm>, tools: Tools) -> Result<CompiledGraph<Agent>, BuildError> {
    StateGraph::new()
        .add_edge(START, planner)
        .add_conditional_edges(planner, after_plan)
        .add_edge(search, planner)
        .add_edge(fetch_page, planner)
        .add_edge(no_such_tool, planner)
        .add_edge(break_loop, planner)
        .add_conditional_edges(finalize, after_final)
        .add_edge(human_approval, END)
        .with_shared_resource(llm)
        .with_resource(tools)
        .compile()
}

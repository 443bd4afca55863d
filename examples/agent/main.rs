//! A tool-calling agent on a real LLM client, meeting the reliability
//! lesson's five failure modes and handling each in the graph.
//!
//! ```sh
//! cargo run --example agent            # the run as it happens, then the counts
//! cargo run --example agent -- --json  # the counts only, as one JSON line
//! ```
//!
//! The agent writes a brief (Lisbon's trams: lines and fare) with a
//! planner on an LLM, two tools and a reviewer. Its LLM client
//! (`llm.rs`) speaks the OpenAI chat-completions protocol over reqwest to a
//! provider this program starts on 127.0.0.1 (`stub.rs`, axum), scripted to
//! misbehave. Nothing in the nodes hides a failure: each is one of the
//! graph's policies or routes, printed as it acts and counted at the end.
//!
//! | failure | how the graph handles it |
//! |---|---|
//! | LLM API error: 429, 500, timeout | `planner`'s `retry` (backoff with jitter; the client waits out `Retry-After`) and `timeout`, then `fallback = planner_backup`, the backup model |
//! | infinite loop: the same tool call a third time | the `after_plan` route sends it to `break_loop`: not run, a "you are looping" message, the tool withdrawn, temperature 0: the next action differs |
//! | budget exceeded: cost from the provider's token usage, steps, time | a `Budget` on the run: it stops between steps with the partial result checkpointed, and resumes with a larger budget |
//! | tool failure | `search`: retried, then `search_mirror` (the alternative); `fetch_page`: retried, then `fetch_cached`, which reports the failure to the agent as the tool's answer, and the planner replans |
//! | quality failure | `finalize` checks the output contract: invalid output is retried with the violations as feedback, then `fallback = reviewer`; what the reviewer cannot vouch for goes to `human_approval` (an interrupt) |

mod graph;
mod llm;
mod stub;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::json;
use stategraph::exec::EventStream;
use stategraph::prelude::*;

use crate::graph::Agent;
use crate::llm::{ChatMessage, Llm, Tools};

const TASK: &str = "Write a short brief on Lisbon's trams: how many lines run, and what a single fare costs.";

/// The first run's budget: enough for the opening moves, not for the brief.
fn small_budget() -> Budget {
    Budget::new().steps(40).time(Duration::from_secs(120)).cost(0.006)
}

/// The budget the run is resumed with.
fn larger_budget() -> Budget {
    Budget::new().steps(80).time(Duration::from_secs(300)).cost(0.10)
}

/// What the graph's policies did, from the runs' events.
#[derive(Default)]
struct Seen {
    /// Retries by node, and by error kind for each.
    retries: BTreeMap<String, u64>,
    retry_kinds: BTreeMap<(String, &'static str), u64>,
    /// `node -> fallback` replacements, and the kind of error that caused each.
    fallbacks: BTreeMap<(String, String), u64>,
    fallback_kinds: BTreeMap<(String, &'static str), u64>,
    budget_stops: Vec<(BudgetKind, f64, f64)>,
    interrupts: u64,
}

impl Seen {
    fn retries(&self, node: &str) -> u64 {
        self.retries.get(node).copied().unwrap_or(0)
    }

    fn failed_with(&self, node: &str, kind: ErrorKind) -> u64 {
        let key = (node.to_owned(), kind.as_str());
        self.retry_kinds.get(&key).copied().unwrap_or(0) + self.fallback_kinds.get(&key).copied().unwrap_or(0)
    }

    fn fallback(&self, node: &str, to: &str) -> u64 {
        self.fallbacks.get(&(node.to_owned(), to.to_owned())).copied().unwrap_or(0)
    }
}

/// Drives one run's event stream, printing what the policies do, and
/// returns how it ended.
async fn follow(
    events: EventStream<Agent>,
    seen: &mut Seen,
    llm: &Llm,
    quiet: bool,
) -> Result<RunResult<Agent>, RunError> {
    let say = |line: String| {
        if !quiet {
            println!("{line}");
        }
    };
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        match event? {
            Event::NodeFinished { step, node, .. } => {
                say(format!("  [step {step}] {node}: done (billed so far ${:.4})", llm.billed()));
            }
            Event::Policy(PolicyEvent::Retrying { node, attempt, error, delay, .. }) => {
                say(format!("  {node}: attempt {attempt} failed ({error}); retrying in {} ms", delay.as_millis()));
                *seen.retries.entry(node.clone()).or_default() += 1;
                *seen.retry_kinds.entry((node, error.kind.as_str())).or_default() += 1;
            }
            Event::Policy(PolicyEvent::Fallback { node, fallback, error, .. }) => {
                say(format!("  {node}: gave up ({error}); {fallback} runs instead"));
                *seen.fallbacks.entry((node.clone(), fallback)).or_default() += 1;
                *seen.fallback_kinds.entry((node, error.kind.as_str())).or_default() += 1;
            }
            Event::Interrupted { interrupts } => {
                seen.interrupts += 1;
                for interrupt in interrupts {
                    say(format!("  {} waits for a human", interrupt.node));
                }
            }
            Event::Finished(result) => {
                say(format!("  -> {}", describe(&result.outcome)));
                if let Outcome::BudgetExceeded { budget, used, limit } = &result.outcome {
                    seen.budget_stops.push((*budget, *used, *limit));
                }
                return Ok(result);
            }
            _ => {}
        }
    }
    Err(RunError::NoSuchThread { thread: "(the stream ended without a result)".into() })
}

/// How a run ended, in a line.
fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Completed => "completed".into(),
        Outcome::Interrupted { interrupts } => {
            let at: Vec<&str> = interrupts.iter().map(|i| i.node.as_str()).collect();
            format!("interrupted at {}", at.join(", "))
        }
        Outcome::BudgetExceeded { budget, .. } => format!("budget exceeded ({budget:?})").to_lowercase(),
        other => format!("{other:?}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quiet = std::env::args().any(|a| a == "--json");
    let say = |line: &str| {
        if !quiet {
            println!("{line}");
        }
    };
    let stub = stub::Stub::start().await?;
    // No proxy: the provider is on this machine, whatever the environment says.
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build()?;
    let llm = Arc::new(Llm::new(http.clone(), stub.base()));
    let tools = Tools::new(http, stub.base());
    let graph = graph::build(Arc::clone(&llm), tools)?.with_checkpointer(MemorySaver::new());
    say(&format!("provider and tools (scripted to misbehave) on {}", stub.addr));

    let thread = "brief-lisbon";
    let input = Agent {
        task: TASK.into(),
        messages: vec![
            ChatMessage::new("system", "system", "You research with tools, then answer briefly."),
            ChatMessage::new("task", "user", TASK),
        ],
        ..Default::default()
    };
    let mut seen = Seen::default();

    say("\nrun 1, budget: 40 node runs, 2 minutes, $0.006");
    let run = follow(graph.run(thread).budget(small_budget()).stream(input), &mut seen, &llm, quiet).await?;
    if let Outcome::BudgetExceeded { budget, used, limit } = &run.outcome {
        let budget = format!("{budget:?}").to_lowercase();
        say(&format!(
            "  stopped gracefully on the {budget} limit: used {used:.4} of {limit:.4}; everything so far is checkpointed"
        ));
        say(&format!(
            "  partial result: {} messages, {} tool calls, draft: {}",
            run.state.messages.len(),
            run.state.calls.len(),
            run.state.draft.as_deref().unwrap_or("(none yet)")
        ));
    }

    say("\nrun 2: resumed with a larger budget ($0.10)");
    let run =
        follow(graph.run(thread).budget(larger_budget()).stream_resume(Resume::default()), &mut seen, &llm, quiet)
            .await?;
    let resumed = u64::from(!seen.budget_stops.is_empty());
    if let Some(interrupt) = run.interrupts().first() {
        say(&format!("  waiting at {}: the human approves", interrupt.node));
    }

    say("\nrun 3: the human's decision");
    let decision = Decision::approve().into_resume();
    let run = follow(graph.run(thread).budget(larger_budget()).stream_resume(decision), &mut seen, &llm, quiet).await?;
    let completed = run.is_completed();
    if let Some(brief) = &run.state.answer {
        say(&format!(
            "  published: {} (lines {}, fare {:.2} EUR, {})",
            brief.summary,
            brief.lines,
            brief.fare_eur,
            brief.sources.join(", ")
        ));
    }

    let served = stub.stop().await;
    let stub_count = |k: &str| served.counts.get(k).copied().unwrap_or(0);
    let incident = |k: &str| run.state.incidents.get(k).copied().unwrap_or(0);
    // The longest streak of identical tool calls, and the call after it.
    let calls = &run.state.calls;
    let (mut identical, mut end) = (0, 0);
    for (i, call) in calls.iter().enumerate() {
        let streak = calls[..=i].iter().rev().take_while(|c| *c == call).count();
        if streak > identical {
            (identical, end) = (streak, i);
        }
    }
    let after_loop = calls.get(end + 1);
    // Whether the planner answered after a tool's failure was reported to it.
    let messages = &run.state.messages;
    let replanned = messages.windows(2).any(|pair| {
        let reported = pair[0].role == "tool" && pair[0].content.as_deref().is_some_and(|c| c.starts_with("error:"));
        reported && pair[1].role == "assistant"
    });
    let counts = json!({
        "llm_api": {
            "rate_limited": stub_count("429"),
            "server_errors": stub_count("500"),
            "timeouts": seen.failed_with("planner", ErrorKind::Timeout),
            "retries": seen.retries("planner"),
            "retry_after_waits": llm.retry_after_waits.load(Ordering::Relaxed),
            "retry_after_respected": served.retry_after_respected,
            "failovers": seen.fallback("planner", "planner_backup"),
        },
        "loop": {
            "identical_calls": identical,
            "loop_breaks": incident("loop_breaks"),
            "temperature_after": served.temperature_after_loop,
            "next_action": after_loop.map(|c| c.split('(').next().unwrap_or_default().to_owned()),
        },
        "budget": {
            "stops": seen.budget_stops.len(),
            "limit": seen.budget_stops.first().map(|(kind, _, _)| format!("{kind:?}").to_lowercase()),
            "resumed": resumed,
            "completed": completed,
            "billed_usd": (llm.billed() * 1e6).round() / 1e6,
        },
        "tool": {
            "search_failures": stub_count("search 500"),
            "search_retries": seen.retries("search"),
            "alternative_tool": seen.fallback("search", "search_mirror"),
            "fetch_failures": stub_count("fetch 503"),
            "fetch_retries": seen.retries("fetch_page"),
            "cache_misses": stub_count("cache 404"),
            "reported_to_agent": incident("tool_errors_reported"),
            "replanned": replanned,
        },
        "quality": {
            "contract_violations": seen.failed_with("finalize", ErrorKind::InvalidOutput),
            "retries_with_feedback": served.feedback_seen,
            "reviewer_escalations": seen.fallback("finalize", "reviewer"),
            "human_approvals": incident("human_approvals"),
        },
    });
    if quiet {
        println!("{counts}");
        return Ok(());
    }
    println!("\nfailure mode        what the graph did");
    let c = &counts;
    println!(
        "LLM API errors      429: {}, 500: {}, timeouts: {} -> {} retries (Retry-After waited out: {}), failover to the backup model: {}",
        c["llm_api"]["rate_limited"],
        c["llm_api"]["server_errors"],
        c["llm_api"]["timeouts"],
        c["llm_api"]["retries"],
        c["llm_api"]["retry_after_waits"],
        c["llm_api"]["failovers"]
    );
    println!(
        "infinite loop       {} identical calls -> \"you are looping\" injected {} time(s), temperature {}, next action {}",
        c["loop"]["identical_calls"],
        c["loop"]["loop_breaks"],
        c["loop"]["temperature_after"],
        c["loop"]["next_action"]
    );
    println!(
        "budget exceeded     {} stop(s) on the {} limit with the partial result, resumed with a larger budget: {}, completed: {} (billed ${})",
        c["budget"]["stops"],
        c["budget"]["limit"],
        c["budget"]["resumed"],
        c["budget"]["completed"],
        c["budget"]["billed_usd"]
    );
    println!(
        "tool failure        search: {} failures, {} retries, alternative tool {}; fetch_page: {} failures, {} retry, cache miss {}, reported to the agent {}, replanned {}",
        c["tool"]["search_failures"],
        c["tool"]["search_retries"],
        c["tool"]["alternative_tool"],
        c["tool"]["fetch_failures"],
        c["tool"]["fetch_retries"],
        c["tool"]["cache_misses"],
        c["tool"]["reported_to_agent"],
        c["tool"]["replanned"]
    );
    println!(
        "quality failure     {} contract violations -> {} retry with feedback, reviewer {}, human approval {}",
        c["quality"]["contract_violations"],
        c["quality"]["retries_with_feedback"],
        c["quality"]["reviewer_escalations"],
        c["quality"]["human_approvals"]
    );
    Ok(())
}

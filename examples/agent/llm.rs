//! An OpenAI-compatible chat-completions client on reqwest, the one the
//! agent's nodes take as a resource (`Res<Llm>`), and the tool client
//! (`Res<Tools>`).
//!
//! The client does what a provider's SDK does and no more: it sends the
//! conversation and the offered tools, reads the reply and the token usage
//! the provider reports, and honours `Retry-After` (`retry-after-ms`, as
//! OpenAI sends it, else `retry-after` in seconds): after a 429 the next
//! call waits until the time the provider named. Retrying, timeouts and
//! failover are the graph's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stategraph::prelude::*;
use stategraph::state::MessageId;
use tokio::time::Instant;

/// One message of the conversation, in the chat-completions shape plus our
/// own `id` (the messages reducer replaces by it; it is not sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatMessage {
    pub(crate) id: String,
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tool_call_id: Option<String>,
}

impl MessageId for ChatMessage {
    fn message_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl ChatMessage {
    pub(crate) fn new(id: impl Into<String>, role: &str, content: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: role.into(),
            content: Some(content.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A tool's answer to `call`.
    pub(crate) fn tool(id: impl Into<String>, call: &ToolCall, content: impl Into<String>) -> Self {
        Self { tool_call_id: Some(call.id.clone()), ..Self::new(id, "tool", content) }
    }

    /// The message as the API takes it (no `id`).
    fn wire(&self) -> Value {
        let mut m = json!({ "role": self.role, "content": self.content });
        if !self.tool_calls.is_empty() {
            m["tool_calls"] = json!(self.tool_calls);
        }
        if let Some(id) = &self.tool_call_id {
            m["tool_call_id"] = json!(id);
        }
        m
    }
}

/// A tool call the model asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToolCall {
    pub(crate) id: String,
    #[serde(rename = "type", default = "function")]
    pub(crate) kind: String,
    pub(crate) function: FunctionCall,
}

fn function() -> String {
    "function".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FunctionCall {
    pub(crate) name: String,
    /// JSON text, as the API sends it.
    pub(crate) arguments: String,
}

impl ToolCall {
    /// `name(arguments)`: two calls with the same signature are the same call.
    pub(crate) fn signature(&self) -> String {
        format!("{}({})", self.function.name, self.function.arguments)
    }

    /// A string argument.
    pub(crate) fn arg(&self, key: &str) -> Option<String> {
        let args: Value = serde_json::from_str(&self.function.arguments).ok()?;
        args.get(key)?.as_str().map(str::to_owned)
    }
}

/// What one call asks.
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: &'a [ChatMessage],
    /// Tool names offered (see [`tool_schema`]).
    pub(crate) tools: &'a [&'a str],
    pub(crate) temperature: f64,
    /// Ask for a JSON object (`response_format`).
    pub(crate) json: bool,
}

/// The reply: the assistant's message and what the provider billed.
pub(crate) struct Completion {
    pub(crate) message: ChatMessage,
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
}

/// Why a call failed, as the provider said.
#[derive(Debug)]
pub(crate) enum LlmError {
    RateLimited { retry_after: Duration },
    Server { status: u16 },
    Client { status: u16, body: String },
    Http(reqwest::Error),
    BadReply(String),
}

impl From<LlmError> for NodeError {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::RateLimited { retry_after } => {
                NodeError::transient(format_args!("429 rate limited, retry after {} ms", retry_after.as_millis()))
            }
            LlmError::Server { status } => NodeError::transient(format_args!("{status} from the provider")),
            LlmError::Client { status, body } => {
                NodeError::permanent(format_args!("{status} from the provider: {body}"))
            }
            LlmError::Http(e) => NodeError::transient(format_args!("http: {e}")),
            LlmError::BadReply(why) => NodeError::transient(format_args!("unreadable reply: {why}")),
        }
    }
}

/// Per-million-token prices (input, output) in USD.
fn price(model: &str) -> (f64, f64) {
    match model {
        "main" => (2.5, 10.0),
        "backup" => (0.15, 0.6),
        "reviewer" => (3.0, 15.0),
        _ => (1.0, 1.0),
    }
}

/// The provider client: one per graph, shared by every task.
pub(crate) struct Llm {
    http: reqwest::Client,
    base: String,
    /// The time a `Retry-After` named: no call starts before it.
    not_before: Mutex<Option<Instant>>,
    /// Calls that waited for a `Retry-After`.
    pub(crate) retry_after_waits: AtomicU64,
    /// What the provider billed so far, in millionths of a dollar.
    billed_micro_usd: AtomicU64,
}

impl Llm {
    pub(crate) fn new(http: reqwest::Client, base: String) -> Self {
        Self {
            http,
            base,
            not_before: Mutex::new(None),
            retry_after_waits: AtomicU64::new(0),
            billed_micro_usd: AtomicU64::new(0),
        }
    }

    /// Sends one chat-completions request.
    pub(crate) async fn chat(&self, request: &ChatRequest<'_>) -> Result<Completion, LlmError> {
        let wait_until = self.not_before.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(at) = wait_until {
            self.retry_after_waits.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep_until(at).await;
        }
        let mut body = json!({
            "model": request.model,
            "messages": request.messages.iter().map(ChatMessage::wire).collect::<Vec<_>>(),
            "temperature": request.temperature,
        });
        if !request.tools.is_empty() {
            body["tools"] = request.tools.iter().map(|t| tool_schema(t)).collect();
        }
        if request.json {
            body["response_format"] = json!({ "type": "json_object" });
        }
        let reply = self.http.post(format!("{}/v1/chat/completions", self.base)).json(&body).send().await;
        let reply = reply.map_err(LlmError::Http)?;
        let status = reply.status().as_u16();
        if status == 429 {
            let retry_after = retry_after(reply.headers());
            *self.not_before.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + retry_after);
            return Err(LlmError::RateLimited { retry_after });
        }
        if status >= 500 {
            return Err(LlmError::Server { status });
        }
        if status >= 400 {
            return Err(LlmError::Client { status, body: reply.text().await.unwrap_or_default() });
        }
        let reply: Value = reply.json().await.map_err(LlmError::Http)?;
        let message = reply["choices"][0]["message"].clone();
        let message: ChatMessage = serde_json::from_value(json!({
            "id": "",
            "role": message["role"],
            "content": message["content"],
            "tool_calls": message.get("tool_calls").cloned().unwrap_or_else(|| json!([])),
        }))
        .map_err(|e| LlmError::BadReply(e.to_string()))?;
        let tokens = |key: &str| reply["usage"][key].as_u64().unwrap_or(0);
        Ok(Completion {
            message,
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
        })
    }

    /// What a completion cost on `model`, from the usage the provider
    /// reported; added to the bill.
    pub(crate) fn bill(&self, model: &str, completion: &Completion) -> f64 {
        let (input, output) = price(model);
        let cost = (completion.prompt_tokens as f64 * input + completion.completion_tokens as f64 * output) / 1e6;
        self.billed_micro_usd.fetch_add((cost * 1e6).round() as u64, Ordering::Relaxed);
        cost
    }

    /// Everything billed so far, in USD.
    pub(crate) fn billed(&self) -> f64 {
        self.billed_micro_usd.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// `retry-after-ms`, else `retry-after` in seconds, else one second.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    number("retry-after-ms")
        .map(Duration::from_millis)
        .or_else(|| number("retry-after").map(Duration::from_secs))
        .unwrap_or(Duration::from_secs(1))
}

/// The function-calling schema of each tool the agent has.
pub(crate) fn tool_schema(name: &str) -> Value {
    let (description, param) = match name {
        "search" => ("Search the web", "query"),
        "fetch_page" => ("Fetch a web page", "url"),
        _ => ("", "input"),
    };
    json!({
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": { "type": "object", "properties": { param: { "type": "string" } }, "required": [param] },
        },
    })
}

/// The tools' HTTP service (a search API, its mirror, a page fetcher and
/// its cache).
pub(crate) struct Tools {
    http: reqwest::Client,
    base: String,
}

/// A tool's HTTP failure.
#[derive(Debug)]
pub(crate) struct ToolError {
    pub(crate) status: Option<u16>,
    pub(crate) message: String,
}

impl From<ToolError> for NodeError {
    fn from(e: ToolError) -> Self {
        match e.status {
            Some(status) if (400..500).contains(&status) => NodeError::permanent(e.message),
            _ => NodeError::transient(e.message),
        }
    }
}

impl Tools {
    pub(crate) fn new(http: reqwest::Client, base: String) -> Self {
        Self { http, base }
    }

    /// `GET /tools/{path}?{key}={value}`: the body, or the failure.
    pub(crate) async fn get(&self, path: &str, key: &str, value: &str) -> Result<String, ToolError> {
        let bad = |e: &dyn std::fmt::Display| ToolError { status: None, message: format!("{path}: {e}") };
        let mut url = reqwest::Url::parse(&format!("{}/tools/{path}", self.base)).map_err(|e| bad(&e))?;
        url.query_pairs_mut().append_pair(key, value);
        let reply = self.http.get(url).send().await;
        let reply = reply.map_err(|e| ToolError { status: None, message: format!("{path}: {e}") })?;
        let status = reply.status();
        let body = reply.text().await.unwrap_or_default();
        if status.is_success() {
            Ok(body)
        } else {
            Err(ToolError { status: Some(status.as_u16()), message: format!("{path}: {status} {body}") })
        }
    }
}

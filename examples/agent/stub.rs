//! The provider and the tools, on 127.0.0.1, scripted to misbehave: an
//! OpenAI-compatible `POST /v1/chat/completions` whose models answer by a
//! fixed policy (a stand-in for an LLM, deterministic so the counts are),
//! and the tools' `GET /tools/...`.
//!
//! The script, in the order the agent meets it:
//! - `main`'s first three planning calls: a 429 with `retry-after-ms`, a
//!   500, and one that never answers (the node's timeout cuts it);
//! - `search` fails its first three calls (500), its mirror works;
//! - the planner asks for the same search until told it is looping, and
//!   answers with `fetch_page` once `search` is no longer offered;
//! - `fetch` is down (503) and the page is not in the cache (404);
//! - the final answer misses the contract twice (no sources, then a fare
//!   as text), the reviewer's meets it but with low confidence.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

pub(crate) const PAGE: &str = "https://transit.example/lisbon-trams";
/// How long the `main` model waits for the `retry-after-ms` it sends.
pub(crate) const RETRY_AFTER_MS: u64 = 300;

/// What the stub served and saw.
#[derive(Debug, Default)]
pub(crate) struct Served {
    /// Responses by kind: `429`, `500`, `hang`, `plan`, `json`, `review`,
    /// `search 500`, `search`, `mirror`, `fetch 503`, `cache 404`.
    pub(crate) counts: BTreeMap<&'static str, u64>,
    /// Whether the call after the 429 came no sooner than it asked.
    pub(crate) retry_after_respected: Option<bool>,
    /// Final-answer requests that carried the previous attempt's feedback.
    pub(crate) feedback_seen: u64,
    /// The temperature of the first planning call after the loop warning.
    pub(crate) temperature_after_loop: Option<f64>,
    rate_limited_at: Option<Instant>,
}

struct Shared {
    served: Mutex<Served>,
    stop: watch::Receiver<bool>,
}

impl Shared {
    fn count(&self, kind: &'static str) -> u64 {
        let mut served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        let n = served.counts.entry(kind).or_default();
        *n += 1;
        *n
    }

    fn served<T>(&self, f: impl FnOnce(&mut Served) -> T) -> T {
        f(&mut self.served.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The running stub.
pub(crate) struct Stub {
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Stub {
    /// Binds 127.0.0.1 on a free port and serves until [`stop`](Self::stop).
    pub(crate) async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared { served: Mutex::default(), stop: stopped.clone() });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/tools/search", get(search))
            .route("/tools/mirror/search", get(mirror))
            .route("/tools/fetch", get(fetch))
            .route("/tools/cache", get(cache))
            .with_state(Arc::clone(&shared));
        let mut until = stopped;
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = until.wait_for(|stop| *stop).await;
                })
                .await
        });
        Ok(Self { addr, shared, stop, server })
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving (a hung request is released first) and returns what was served.
    pub(crate) async fn stop(self) -> Served {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        std::mem::take(&mut *self.shared.served.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A chat-completions reply with the usage the provider bills.
fn completion(model: &str, message: Value, prompt_tokens: u64, completion_tokens: u64) -> Response {
    Json(json!({
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": model,
        "choices": [{ "index": 0, "message": message, "finish_reason": "stop" }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }))
    .into_response()
}

fn tool_call(n: u64, name: &str, arguments: Value) -> Value {
    json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{
            "id": format!("call_{n}"),
            "type": "function",
            "function": { "name": name, "arguments": arguments.to_string() },
        }],
    })
}

async fn chat(State(shared): State<Arc<Shared>>, Json(request): Json<Value>) -> Response {
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let prompt_tokens = 150 * messages.len() as u64;
    let text = |m: &Value| m["content"].as_str().unwrap_or_default().to_owned();
    let offered = |name: &str| {
        request["tools"].as_array().is_some_and(|tools| tools.iter().any(|t| t["function"]["name"] == name))
    };
    if model == "reviewer" {
        shared.count("review");
        let answer = json!({
            "summary": "Lisbon runs six tram lines (Carris); a single fare bought on board costs 3.20 EUR.",
            "lines": 6,
            "fare_eur": 3.2,
            "sources": [PAGE],
            "confidence": "low",
            "note": "the fare comes from a search snippet: the page itself could not be read",
        });
        return completion(&model, json!({ "role": "assistant", "content": answer.to_string() }), prompt_tokens, 220);
    }
    if request["response_format"]["type"] == "json_object" {
        // The final answer, in the contract's JSON.
        let n = shared.count("json");
        if messages.iter().any(|m| text(m).contains("was rejected")) {
            shared.served(|s| s.feedback_seen += 1);
        }
        let answer = if n == 1 {
            json!({ "summary": "Lisbon runs six tram lines; a single fare bought on board costs 3.20 EUR.", "lines": 6, "fare_eur": 3.2 })
        } else {
            json!({ "summary": "Lisbon runs six tram lines; a single fare bought on board costs 3.20 EUR.", "lines": 6, "fare_eur": "3.20 EUR", "sources": [PAGE] })
        };
        let message = json!({ "role": "assistant", "content": answer.to_string() });
        return completion(&model, message, prompt_tokens, 180);
    }
    if model == "main" {
        // The first three planning calls misbehave.
        let calls = shared.served(|s| {
            if let Some(at) = s.rate_limited_at.take() {
                s.retry_after_respected = Some(at.elapsed() >= Duration::from_millis(RETRY_AFTER_MS));
            }
            ["429", "500", "hang"].iter().map(|k| s.counts.get(k).copied().unwrap_or(0)).sum::<u64>()
        });
        match calls {
            0 => {
                shared.count("429");
                shared.served(|s| s.rate_limited_at = Some(Instant::now()));
                let mut headers = HeaderMap::new();
                headers.insert("retry-after-ms", HeaderValue::from(RETRY_AFTER_MS));
                headers.insert("retry-after", HeaderValue::from_static("1"));
                let body = Json(json!({ "error": { "type": "rate_limit_exceeded", "message": "slow down" } }));
                return (StatusCode::TOO_MANY_REQUESTS, headers, body).into_response();
            }
            1 => {
                shared.count("500");
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": { "message": "overloaded" } })))
                    .into_response();
            }
            2 => {
                shared.count("hang");
                // Never answers in time: held until the stub stops.
                let mut stop = shared.stop.clone();
                let _ = stop.wait_for(|stop| *stop).await;
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            _ => {}
        }
    }
    // Planning, by a fixed policy.
    let n = shared.count("plan");
    let warned = messages.iter().any(|m| m["role"] == "system" && text(m).contains("you are looping"));
    let last = messages.last().map(text).unwrap_or_default();
    let message = if last.starts_with("error:") {
        json!({
            "role": "assistant",
            "content": "Lisbon runs six tram lines; the single fare bought on board is 3.20 EUR (from the search results).",
        })
    } else if warned || !offered("search") {
        if warned {
            shared.served(|s| {
                s.temperature_after_loop.get_or_insert(request["temperature"].as_f64().unwrap_or(-1.0));
            });
        }
        tool_call(n, "fetch_page", json!({ "url": PAGE }))
    } else {
        tool_call(n, "search", json!({ "query": "lisbon tram lines fare" }))
    };
    completion(&model, message, prompt_tokens, 40)
}

const RESULTS: &str = r#"{"results":[{"title":"Lisbon trams","url":"https://transit.example/lisbon-trams","snippet":"Carris runs six tram lines. A single fare bought on board is 3.20 EUR."}]}"#;

async fn search(State(shared): State<Arc<Shared>>, Query(_q): Query<BTreeMap<String, String>>) -> Response {
    let failures = shared.served(|s| s.counts.get("search 500").copied().unwrap_or(0));
    if failures < 3 {
        shared.count("search 500");
        return (StatusCode::INTERNAL_SERVER_ERROR, "search backend overloaded").into_response();
    }
    shared.count("search");
    RESULTS.into_response()
}

async fn mirror(State(shared): State<Arc<Shared>>) -> Response {
    shared.count("mirror");
    RESULTS.into_response()
}

async fn fetch(State(shared): State<Arc<Shared>>) -> Response {
    shared.count("fetch 503");
    (StatusCode::SERVICE_UNAVAILABLE, "fetcher down").into_response()
}

async fn cache(State(shared): State<Arc<Shared>>) -> Response {
    shared.count("cache 404");
    (StatusCode::NOT_FOUND, "not cached").into_response()
}

//! States shared by the integration tests, written by hand against the
//! `State` trait (the macro-free way).
#![allow(dead_code, unreachable_pub)]

use stategraph::prelude::*;
use stategraph::state::{Add, Append, Overwrites, reduce, set};

/// `count` is a last value, `log` appends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub count: i64,
    pub log: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CounterUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Overwrites::is_empty")]
    pub overwrite: Overwrites,
}

impl State for Counter {
    type Update = CounterUpdate;
    fn apply(&mut self, u: CounterUpdate) {
        set(&mut self.count, u.count);
        reduce::<Append, _>(&mut self.log, u.log, u.overwrite.contains("log"));
    }
    fn exclusive_writes(u: &CounterUpdate, write: &mut dyn FnMut(&'static str)) {
        if u.count.is_some() {
            write("count");
        }
        if u.overwrite.contains("log") {
            write("log");
        }
    }
    fn into_update(self) -> CounterUpdate {
        CounterUpdate { count: Some(self.count), log: Some(self.log), ..Default::default() }
    }
}

impl CounterUpdate {
    pub fn count(count: i64) -> Self {
        Self { count: Some(count), ..Default::default() }
    }
    pub fn log(entry: impl Into<String>) -> Self {
        Self { log: Some(vec![entry.into()]), ..Default::default() }
    }
    pub fn step(count: i64, entry: impl Into<String>) -> Self {
        Self { count: Some(count), log: Some(vec![entry.into()]), ..Default::default() }
    }
}

/// `total` adds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sum {
    pub total: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SumUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl State for Sum {
    type Update = SumUpdate;
    fn apply(&mut self, u: SumUpdate) {
        reduce::<Add, _>(&mut self.total, u.total, false);
    }
    fn exclusive_writes(_: &SumUpdate, _: &mut dyn FnMut(&'static str)) {}
    fn into_update(self) -> SumUpdate {
        SumUpdate { total: Some(self.total) }
    }
}

/// `log` of numbers appends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Numbers {
    pub log: Vec<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NumbersUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<Vec<i64>>,
}

impl State for Numbers {
    type Update = NumbersUpdate;
    fn apply(&mut self, u: NumbersUpdate) {
        reduce::<Append, _>(&mut self.log, u.log, false);
    }
    fn exclusive_writes(_: &NumbersUpdate, _: &mut dyn FnMut(&'static str)) {}
    fn into_update(self) -> NumbersUpdate {
        NumbersUpdate { log: Some(self.log) }
    }
}

impl NumbersUpdate {
    pub fn push(n: i64) -> Self {
        Self { log: Some(vec![n]) }
    }
}

/// A retrieval pipeline: `docs` merge by a sorted append.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Docs {
    pub query: String,
    pub docs: Vec<String>,
    pub answer: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DocsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

pub fn sorted_append(current: &mut Vec<String>, new: Vec<String>) {
    current.extend(new);
    current.sort();
}

impl State for Docs {
    type Update = DocsUpdate;
    fn apply(&mut self, u: DocsUpdate) {
        set(&mut self.query, u.query);
        if let Some(docs) = u.docs {
            sorted_append(&mut self.docs, docs);
        }
        set(&mut self.answer, u.answer);
    }
    fn exclusive_writes(u: &DocsUpdate, write: &mut dyn FnMut(&'static str)) {
        if u.query.is_some() {
            write("query");
        }
        if u.answer.is_some() {
            write("answer");
        }
    }
    fn into_update(self) -> DocsUpdate {
        DocsUpdate { query: Some(self.query), docs: Some(self.docs), answer: Some(self.answer) }
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// Renders `dot` with Graphviz (`dot -Tsvg`) and returns the SVG; asserts
/// that it renders. `None` (and a note) when Graphviz is not installed,
/// unless `STATEGRAPH_REQUIRE_DOT=1` (as in CI), which makes that a failure.
pub fn render_svg(dot: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let required = std::env::var("STATEGRAPH_REQUIRE_DOT").is_ok_and(|v| v == "1");
    let child =
        Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if !required => {
            eprintln!(
                "skipped rendering: Graphviz `dot` is not installed ({e}); set STATEGRAPH_REQUIRE_DOT=1 to fail instead"
            );
            return None;
        }
        Err(e) => panic!("Graphviz `dot` is required (STATEGRAPH_REQUIRE_DOT=1) but cannot run: {e}"),
    };
    child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dot failed: {}\n{dot}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    Some(svg)
}

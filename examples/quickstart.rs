//! stategraph in one file: a typed state, three nodes, a conditional edge, a
//! retry policy, a human approval, and the embedded sled store, so the thread
//! survives the process and resumes by its id.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use stategraph::prelude::*;
use stategraph::state::{Append, Overwrites, reduce, set};
use std::time::Duration;

/// The state: `draft` keeps the last value written, `notes` appends.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Article {
    topic: String,
    draft: String,
    notes: Vec<String>,
    approved: bool,
}

/// A partial write to [`Article`]: every field optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ArticleUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    draft: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approved: Option<bool>,
    #[serde(default, skip_serializing_if = "Overwrites::is_empty")]
    overwrite: Overwrites,
}

// `#[derive(State)]` writes this impl (see the macros in the README); here it
// is by hand, to show what a reducer is.
impl State for Article {
    type Update = ArticleUpdate;
    fn apply(&mut self, u: ArticleUpdate) {
        set(&mut self.topic, u.topic);
        set(&mut self.draft, u.draft);
        set(&mut self.approved, u.approved);
        reduce::<Append, _>(&mut self.notes, u.notes, u.overwrite.contains("notes"));
    }
    fn exclusive_writes(u: &ArticleUpdate, write: &mut dyn FnMut(&'static str)) {
        for (written, field) in [(u.topic.is_some(), "topic"), (u.draft.is_some(), "draft")] {
            if written {
                write(field);
            }
        }
    }
    fn into_update(self) -> ArticleUpdate {
        ArticleUpdate {
            topic: Some(self.topic),
            draft: Some(self.draft),
            notes: Some(self.notes),
            approved: Some(self.approved),
            ..Default::default()
        }
    }
}

/// Research fails on its first attempt (a flaky search API); the retry
/// policy tries again, and the node knows which attempt it is on.
async fn research(state: &Article, ctx: &Ctx) -> NodeResult<ArticleUpdate> {
    if ctx.attempt() == 1 {
        return Err(NodeError::transient("search API timed out"));
    }
    let note = format!("3 sources on {} (attempt {})", state.topic, ctx.attempt());
    Ok(ArticleUpdate { notes: Some(vec![note]), ..Default::default() })
}

async fn write(state: &Article) -> NodeResult<ArticleUpdate> {
    let draft = format!("{}: a short piece built on {} note(s).", state.topic, state.notes.len());
    Ok(ArticleUpdate { draft: Some(draft), ..Default::default() })
}

/// Asks a human before publishing; the run stops here until resumed.
async fn approve(state: &Article, ctx: &Ctx) -> NodeResult<ArticleUpdate> {
    let verdict: String = ctx.interrupt(format!("publish this draft? {}", state.draft))?;
    Ok(ArticleUpdate { approved: Some(verdict == "yes"), ..Default::default() })
}

/// Where to go after research: write when there are notes, else give up.
enum Next {
    Write,
    GiveUp,
}

impl Route<Article> for Next {
    fn branches() -> Vec<stategraph::graph::Branch<Article>> {
        use stategraph::graph::Branch;
        vec![Branch::new("write", ["write"]), Branch::new("give_up", [END])]
    }
    fn select(self) -> stategraph::graph::Selected<Article> {
        stategraph::graph::Selected::branch(self as usize)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = std::env::current_dir()?.join("stategraph-quickstart.db");
    let graph = StateGraph::new()
        .add_node("research", research)
        .add_node("write", write)
        .add_node("approve", approve)
        .add_edge(START, "research")
        .add_conditional_edges("research", |s: &Article| if s.notes.is_empty() { Next::GiveUp } else { Next::Write })
        .add_edge("write", "approve")
        .add_edge("approve", END)
        .retry("research", RetryPolicy::new(3).initial(Duration::from_millis(50)))
        .compile()?
        .with_checkpointer(SledSaver::open(&store)?);

    // A fresh thread id per run of the example; reuse one to continue it.
    let thread = format!("article-{}", std::process::id());
    let input = Article { topic: "durable agent graphs".into(), ..Default::default() };
    let run = graph.invoke(input, &thread).await?;
    println!("after the first invoke: {:?}", run.outcome);
    for interrupt in run.interrupts() {
        println!("  waiting for a human at `{}`", interrupt.node);
    }

    // Later (another process, after a restart): resume the thread by its id.
    let run = graph.resume(&thread, Resume::value("yes")).await?;
    println!("after the approval: {:?}, approved = {}", run.outcome, run.state.approved);
    println!("draft: {}", run.state.draft);
    println!("notes: {:?}", run.state.notes);

    let history = graph.history(&thread, HistoryQuery::all()).await?;
    println!("{} checkpoints stored in {}", history.len(), store.display());
    println!("\nthe graph in Graphviz DOT (pipe into `dot -Tsvg`):\n{}", graph.to_dot());
    Ok(())
}

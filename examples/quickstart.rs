//! stategraph in one file: a typed state, three nodes, a conditional edge, a
//! retry policy, a human approval, and the embedded sled store, so the thread
//! survives the process and resumes by its id.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use stategraph::prelude::*;

/// The state: `draft` keeps the last value written, `notes` appends.
/// `#[derive(State)]` writes `ArticleUpdate`, the partial write a node returns.
#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Article {
    topic: String,
    draft: String,
    #[reducer(append)]
    notes: Vec<String>,
    approved: bool,
}

/// Research fails on its first attempt (a flaky search API); the retry
/// policy tries again, and the node knows which attempt it is on.
#[node(retry(max_attempts = 3, initial = "50ms"), timeout = "10s")]
async fn research(state: &Article, ctx: &Ctx) -> NodeResult<ArticleUpdate> {
    if ctx.attempt() == 1 {
        return Err(NodeError::transient("search API timed out"));
    }
    let note = format!("3 sources on {} (attempt {})", state.topic, ctx.attempt());
    Ok(ArticleUpdate::default().notes(vec![note]))
}

#[node]
async fn write(state: &Article) -> NodeResult<ArticleUpdate> {
    let draft = format!("{}: a short piece built on {} note(s).", state.topic, state.notes.len());
    Ok(ArticleUpdate::default().draft(draft))
}

/// Asks a human before publishing; the run stops here until resumed.
#[node]
async fn approve(state: &Article, ctx: &Ctx) -> NodeResult<ArticleUpdate> {
    let verdict: String = ctx.interrupt(format!("publish this draft? {}", state.draft))?;
    Ok(ArticleUpdate::default().approved(verdict == "yes"))
}

/// Where to go after research: each variant names its target, so a
/// misspelt node is a compile error and the DOT labels the edges.
#[derive(Route)]
enum Next {
    #[to(write)]
    Write,
    #[to(END)]
    GiveUp,
}

fn after_research(state: &Article) -> Next {
    if state.notes.is_empty() { Next::GiveUp } else { Next::Write }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = std::env::current_dir()?.join("stategraph-quickstart.db");
    let graph = StateGraph::new()
        .add_edge(START, research)
        .add_conditional_edges(research, after_research)
        .add_edge(write, approve)
        .add_edge(approve, END)
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

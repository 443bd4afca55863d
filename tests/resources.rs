//! Resources in nodes: values registered on the graph by type
//! (`with_resource`), taken by `#[node]` functions and closures as `Res<T>`
//! arguments or found with `ctx.resource::<T>()`; a missing one is a build
//! error naming the node and the type.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    question: String,
    #[reducer(append)]
    answers: Vec<String>,
}

/// A stand-in for an LLM client: a handle shared by every task.
#[derive(Debug)]
struct Llm {
    model: &'static str,
    calls: AtomicU32,
}

impl Llm {
    fn complete(&self, prompt: &str) -> String {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{}#{n}: {prompt}", self.model)
    }
}

/// Read-only configuration, another resource type.
struct Persona(&'static str);

#[node]
async fn answer(chat: &Chat, ctx: &Ctx, llm: Res<Llm>, persona: Res<Persona>) -> NodeResult<ChatUpdate> {
    let prompt = format!("{} (as {}, attempt {})", chat.question, persona.0, ctx.attempt());
    Ok(ChatUpdate::default().answers(vec![llm.complete(&prompt)]))
}

#[node]
async fn follow_up(chat: &Chat, llm: Res<Llm>) -> NodeResult<ChatUpdate> {
    Ok(ChatUpdate::default().answers(vec![llm.complete(&format!("more on {}", chat.question))]))
}

/// Takes an optional resource: runs with or without it, and is not checked.
#[node]
async fn sign(_: &Chat, persona: Option<Res<Persona>>) -> NodeResult<ChatUpdate> {
    let by = persona.map_or("nobody", |p| p.0);
    Ok(ChatUpdate::default().answers(vec![format!("signed: {by}")]))
}

fn llm() -> Arc<Llm> {
    Arc::new(Llm { model: "m-1", calls: AtomicU32::new(0) })
}

#[tokio::test]
async fn node_functions_take_registered_resources_as_arguments() {
    let shared = llm();
    let graph = StateGraph::new()
        .add_edge(START, answer)
        .add_edge(answer, follow_up)
        .add_edge(follow_up, sign)
        .add_edge(sign, END)
        .with_shared_resource(Arc::clone(&shared))
        .with_resource(Persona("a pirate"))
        .compile()
        .unwrap();
    let run = graph.invoke(Chat { question: "tides?".into(), ..Default::default() }, "t").await.unwrap();
    assert_eq!(
        run.state.answers,
        ["m-1#1: tides? (as a pirate, attempt 1)", "m-1#2: more on tides?", "signed: a pirate"]
    );
    assert_eq!(shared.calls.load(Ordering::SeqCst), 2, "the graph used the caller's client, not a copy");
}

#[test]
fn a_missing_resource_fails_compile_naming_the_node_and_the_type() {
    let error = StateGraph::new()
        .add_edge(START, answer)
        .add_edge(answer, END)
        .with_resource(Persona("a pirate"))
        .compile()
        .unwrap_err();
    assert_eq!(error, BuildError::MissingResource { node: "answer".into(), resource: std::any::type_name::<Llm>() });
    assert_eq!(
        error.to_string(),
        "node \"answer\" needs the resource `resources::Llm`, which is not registered: add it with `.with_resource(..)`"
    );
    // An optional resource is not required.
    assert!(StateGraph::<Chat>::new().add_edge(START, sign).add_edge(sign, END).compile().is_ok());
}

#[tokio::test]
async fn closure_nodes_take_resources_as_arguments_or_from_the_context() {
    let graph = StateGraph::new()
        .add_node("ask", async |chat: &Chat, ctx: &Ctx, llm: Res<Llm>| {
            Ok(ChatUpdate::default().answers(vec![llm.complete(&format!("{} @{}", chat.question, ctx.node()))]))
        })
        .add_node("lookup", async |chat: &Chat, ctx: &Ctx| {
            let persona = ctx.resource::<Persona>()?;
            Ok(ChatUpdate::default().answers(vec![format!("{} for {}", persona.0, chat.question)]))
        })
        .add_edge(START, "ask")
        .add_edge("ask", "lookup")
        .add_edge("lookup", END)
        .with_shared_resource(llm())
        .with_resource(Persona("a poet"))
        .compile()
        .unwrap();
    let run = graph.invoke(Chat { question: "rain".into(), ..Default::default() }, "t").await.unwrap();
    assert_eq!(run.state.answers, ["m-1#1: rain @ask", "a poet for rain"]);

    let missing = StateGraph::new()
        .add_node("ask", async |_: &Chat, _: &Ctx, llm: Res<Llm>| {
            Ok(ChatUpdate::default().answers(vec![llm.complete("x")]))
        })
        .add_edge(START, "ask")
        .add_edge("ask", END)
        .compile()
        .unwrap_err();
    assert!(matches!(&missing, BuildError::MissingResource { node, .. } if node == "ask"), "{missing}");
}

/// `ctx.resource` cannot be checked at compile: a missing one is the node's
/// permanent error (the run fails naming node and type), never a panic.
#[tokio::test]
async fn a_resource_looked_up_in_the_context_and_missing_fails_the_node_not_the_process() {
    let graph = StateGraph::new()
        .add_node("lookup", async |_: &Chat, ctx: &Ctx| {
            let persona = ctx.resource::<Persona>()?;
            Ok(ChatUpdate::default().answers(vec![persona.0.to_owned()]))
        })
        .add_edge(START, "lookup")
        .add_edge("lookup", END)
        .compile()
        .unwrap();
    let run = graph.invoke(Chat::default(), "t").await.unwrap();
    let Outcome::Failed { node, error } = &run.outcome else { panic!("{:?}", run.outcome) };
    assert_eq!(node, "lookup");
    assert_eq!(error.kind, ErrorKind::Permanent);
    assert!(error.message.contains("needs the resource `resources::Persona`"), "{}", error.message);
}

/// A node function with resources is still a function: call it directly
/// with `Res::new`, as a unit test would.
#[tokio::test]
async fn a_node_with_resources_can_be_called_directly() {
    let chat = Chat { question: "q".into(), ..Default::default() };
    let ctx = Ctx::detached("t", "answer");
    let update = answer(&chat, &ctx, Res::from(llm()), Res::new(Persona("a judge"))).await.unwrap();
    assert_eq!(update.answers.unwrap(), ["m-1#1: q (as a judge, attempt 1)"]);
}

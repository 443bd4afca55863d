//! Loop detection: a router that keeps sending a node back with unchanged
//! state is caught on the third visit; with a handler, the handler runs
//! instead and the run goes on; a loop that changes the state is no loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    answered: bool,
    turns: u32,
    #[reducer(append)]
    log: Vec<String>,
}

#[derive(Route)]
#[route(state = Chat)]
enum Next {
    #[to("ask")]
    Again,
    #[to(END)]
    Done,
}

fn again_until_answered(chat: &Chat) -> Next {
    if chat.answered { Next::Done } else { Next::Again }
}

/// `ask` loops on itself until the state says it is answered; `changes`
/// makes `ask` count its turns (so the state changes each visit).
fn graph(asks: Arc<AtomicU32>, changes: bool) -> StateGraph<Chat> {
    StateGraph::new()
        .add_node("ask", move |chat: &Chat| {
            asks.fetch_add(1, Ordering::SeqCst);
            let update = if changes {
                ChatUpdate::default().turns(chat.turns + 1).answered(chat.turns + 1 == 5)
            } else {
                ChatUpdate::default() // the agent repeats itself: nothing changes
            };
            async move { Ok(update) }
        })
        .add_edge(START, "ask")
        .add_conditional_edges("ask", again_until_answered)
}

#[tokio::test]
async fn loop_a_router_sending_a_node_back_unchanged_is_caught_on_the_third_visit() {
    let asks = Arc::new(AtomicU32::new(0));
    let graph = graph(asks.clone(), false).detect_loops(3).compile().unwrap().with_checkpointer(MemorySaver::new());
    let run = graph.invoke(Chat::default(), "t").await.unwrap();
    assert_eq!(run.outcome, Outcome::LoopDetected { node: "ask".into(), visits: 3 });
    assert_eq!(asks.load(Ordering::SeqCst), 2, "the third visit does not run");
    assert_eq!(graph.state("t").await.unwrap().next, ["ask"], "the looping node is still pending");
}

#[tokio::test]
async fn loop_with_a_handler_the_handler_runs_instead_and_the_run_completes() {
    let asks = Arc::new(AtomicU32::new(0));
    let graph = graph(asks.clone(), false)
        .add_node("escalate", |_: &Chat| async {
            Ok(ChatUpdate::default().answered(true).log(vec!["handed to a human".into()]))
        })
        .add_edge("escalate", END)
        .on_loop("escalate")
        .compile()
        .unwrap();
    assert!(graph.to_dot().contains("on loop"), "the DOT draws where a loop goes");
    let mut events = graph.stream(Chat::default(), "t");
    let mut handled = Vec::new();
    let mut outcome = None;
    use futures::StreamExt;
    while let Some(event) = events.next().await {
        match event.unwrap() {
            Event::Policy(PolicyEvent::LoopHandled { node, visits, handler, .. }) => {
                handled.push((node, visits, handler))
            }
            Event::Finished(result) => outcome = Some(result.outcome),
            _ => {}
        }
    }
    assert_eq!(outcome, Some(Outcome::Completed));
    assert_eq!(handled, [("ask".to_string(), 3, "escalate".to_string())]);
    assert_eq!(asks.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn loop_that_changes_the_state_each_turn_is_not_a_loop() {
    let asks = Arc::new(AtomicU32::new(0));
    let graph = graph(asks.clone(), true).detect_loops(2).compile().unwrap();
    let run = graph.invoke(Chat::default(), "t").await.unwrap();
    assert!(run.is_completed(), "{:?}", run.outcome);
    assert_eq!(asks.load(Ordering::SeqCst), 5);
}

#[test]
fn loop_handler_must_be_a_node() {
    let err = graph(Arc::default(), false).on_loop("nobody").compile().err().map(|e| e.to_string());
    assert!(err.as_deref().is_some_and(|e| e.contains("nobody")), "{err:?}");
}

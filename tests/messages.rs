//! The `messages` reducer (LangGraph's `add_messages`) in a graph: new ids
//! append in task order, a known id replaces its message in place, a
//! removal removes it.

use stategraph::prelude::*;
use stategraph::state::MessageId;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Msg {
    id: String,
    role: String,
    text: String,
    #[serde(default)]
    remove: bool,
}

impl MessageId for Msg {
    fn message_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn is_removal(&self) -> bool {
        self.remove
    }
}

fn msg(id: &str, role: &str, text: &str) -> Msg {
    Msg { id: id.into(), role: role.into(), text: text.into(), remove: false }
}

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(messages)]
    messages: Vec<Msg>,
}

#[node]
async fn draft(_: &Chat) -> NodeResult<ChatUpdate> {
    Ok(ChatUpdate::default().messages(vec![msg("answer", "assistant", "draft"), msg("note", "system", "thinking")]))
}

#[node]
async fn search(_: &Chat) -> NodeResult<ChatUpdate> {
    Ok(ChatUpdate::default().messages(vec![msg("tool-1", "tool", "3 results")]))
}

/// Replaces the draft where it stands and drops the scratch note.
#[node]
async fn revise(chat: &Chat) -> NodeResult<ChatUpdate> {
    let results = chat.messages.iter().find(|m| m.role == "tool").map_or("none", |m| m.text.as_str());
    Ok(ChatUpdate::default().messages(vec![
        msg("answer", "assistant", &format!("final, from {results}")),
        Msg { remove: true, ..msg("note", "", "") },
        msg("done", "system", "reviewed"),
    ]))
}

#[tokio::test]
async fn messages_append_replace_by_id_and_remove_across_steps_and_parallel_tasks() {
    let graph = StateGraph::new()
        .add_edge(START, draft)
        .add_edge(START, search)
        .add_join((draft, search), revise)
        .add_edge(revise, END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new());
    let mut input = Chat::default();
    input.messages.push(msg("q", "user", "tides?"));
    let run = graph.invoke(input, "t").await.unwrap();
    let shown: Vec<(&str, &str)> = run.state.messages.iter().map(|m| (m.id.as_str(), m.text.as_str())).collect();
    assert_eq!(
        shown,
        [("q", "tides?"), ("answer", "final, from 3 results"), ("tool-1", "3 results"), ("done", "reviewed")],
        "draft's messages before search's (task order), the answer replaced in place, the note removed"
    );
    // The stored state is the same (checkpoints hold the merged conversation).
    let stored = graph.state("t").await.unwrap();
    assert_eq!(stored.values.messages, run.state.messages);
}

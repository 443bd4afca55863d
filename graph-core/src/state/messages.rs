//! A conversation field: LangGraph's `add_messages` reducer. Written
//! messages are appended, except that one with the id of a message already
//! there replaces it in place (an edited or streamed message), and a
//! removal takes it out.

use super::Reducer;

/// What the [`Messages`] reducer needs of a message type: its id, and
/// whether it is a removal.
///
/// ```
/// use stategraph::state::MessageId;
///
/// #[derive(Clone, Debug)]
/// struct ChatMessage {
///     id: Option<String>,
///     role: String,
///     content: String,
/// }
///
/// impl MessageId for ChatMessage {
///     fn message_id(&self) -> Option<&str> {
///         self.id.as_deref()
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message the `messages` reducer can merge",
    label = "no message id",
    note = "implement `stategraph::state::MessageId` for it: `fn message_id(&self) -> Option<&str>`"
)]
pub trait MessageId {
    /// The message's id; a message without one is always appended.
    fn message_id(&self) -> Option<&str>;

    /// Whether this written message removes the message with its id instead
    /// of being added (LangGraph's `RemoveMessage`). Default: no.
    fn is_removal(&self) -> bool {
        false
    }
}

/// Merges a conversation (`#[reducer(messages)]` on a `Vec<M>`,
/// `M: MessageId`): each written message, in order, replaces the message
/// with its id if there is one, is dropped with it if it is a removal, and
/// is appended otherwise (a removal of an id not there does nothing).
///
/// ```
/// use stategraph::prelude::*;
/// use stategraph::state::MessageId;
///
/// #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// struct Msg {
///     id: String,
///     text: String,
/// }
///
/// impl MessageId for Msg {
///     fn message_id(&self) -> Option<&str> {
///         Some(&self.id)
///     }
/// }
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Chat {
///     #[reducer(messages)]
///     messages: Vec<Msg>,
/// }
///
/// let msg = |id: &str, text: &str| Msg { id: id.into(), text: text.into() };
/// let mut chat = Chat::default();
/// chat.apply(ChatUpdate::default().messages(vec![msg("1", "hi"), msg("2", "draft")]));
/// // "2" is replaced where it stands; "3" is new.
/// chat.apply(ChatUpdate::default().messages(vec![msg("2", "final"), msg("3", "bye")]));
/// let texts: Vec<&str> = chat.messages.iter().map(|m| m.text.as_str()).collect();
/// assert_eq!(texts, ["hi", "final", "bye"]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Messages;

impl<M: MessageId> Reducer<Vec<M>> for Messages {
    fn reduce(current: &mut Vec<M>, update: Vec<M>) {
        for message in update {
            // From the end: the message replaced is most often a recent one.
            let at = message.message_id().and_then(|id| current.iter().rposition(|m| m.message_id() == Some(id)));
            match (at, message.is_removal()) {
                (Some(i), true) => {
                    current.remove(i);
                }
                (None, true) => {}
                (Some(i), false) => current[i] = message,
                (None, false) => current.push(message),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::reduce;

    #[derive(Clone, Debug, PartialEq)]
    struct M {
        id: Option<&'static str>,
        text: &'static str,
        remove: bool,
    }

    impl MessageId for M {
        fn message_id(&self) -> Option<&str> {
            self.id
        }
        fn is_removal(&self) -> bool {
            self.remove
        }
    }

    fn m(id: Option<&'static str>, text: &'static str) -> M {
        M { id, text, remove: false }
    }

    fn texts(messages: &[M]) -> Vec<&'static str> {
        messages.iter().map(|m| m.text).collect()
    }

    #[test]
    fn appends_new_ids_replaces_known_ones_in_place_and_removes() {
        let mut chat = vec![m(Some("a"), "hello"), m(None, "anonymous"), m(Some("b"), "draft")];
        Messages::reduce(&mut chat, vec![m(Some("b"), "final"), m(Some("c"), "new"), m(None, "another")]);
        assert_eq!(texts(&chat), ["hello", "anonymous", "final", "new", "another"]);
        let removal = M { id: Some("a"), text: "", remove: true };
        let absent = M { id: Some("zzz"), text: "", remove: true };
        Messages::reduce(&mut chat, vec![removal, absent]);
        assert_eq!(texts(&chat), ["anonymous", "final", "new", "another"]);
    }

    #[test]
    fn messages_written_together_see_each_other() {
        let mut chat = Vec::new();
        Messages::reduce(&mut chat, vec![m(Some("x"), "1"), m(Some("x"), "2"), m(Some("y"), "3")]);
        assert_eq!(texts(&chat), ["2", "3"]);
        // An overwrite replaces the whole conversation.
        reduce::<Messages, _>(&mut chat, Some(vec![m(Some("y"), "only")]), true);
        assert_eq!(texts(&chat), ["only"]);
    }
}

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(append)]
    turns: u64,
    #[reducer(merge)]
    names: Vec<String>,
    // `String` has no message id.
    #[reducer(messages)]
    history: Vec<String>,
}

fn main() {}

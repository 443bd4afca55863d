use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(append)]
    #[reducer(append)]
    messages: Vec<String>,
    #[reducer(add, add)]
    tokens: u64,
}

fn main() {}

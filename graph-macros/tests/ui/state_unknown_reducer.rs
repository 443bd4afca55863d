use stategraph::prelude::*;

// Both mistakes are reported in one compile.
#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(apend)]
    messages: Vec<String>,
    #[reducer(sum)]
    tokens: u64,
}

fn main() {}

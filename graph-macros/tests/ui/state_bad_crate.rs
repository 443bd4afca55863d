use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
#[state(crate = "not a path", krate = "x")]
struct Chat {
    n: u64,
}

fn main() {}

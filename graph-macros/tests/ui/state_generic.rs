use stategraph::prelude::*;

#[derive(State, Clone, Debug, Serialize, Deserialize)]
struct Holder<T> {
    value: T,
}

fn main() {}

use stategraph::prelude::*;

fn keep_longest(current: &mut String, new: &str) {
    if new.len() > current.len() {
        *current = new.to_owned();
    }
}

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(with = keep_longest)]
    title: String,
}

fn main() {}

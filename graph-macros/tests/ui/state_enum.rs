use stategraph::prelude::*;

#[derive(State)]
enum Phase {
    Draft,
    Done,
}

fn main() {}

use stategraph::prelude::*;

#[derive(State)]
struct Pair(i64, String);

fn main() {}

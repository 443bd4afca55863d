use stategraph::prelude::*;

#[derive(Route)]
struct Next {
    to: String,
}

fn main() {}

use stategraph::prelude::*;

#[derive(Route)]
enum Next {
    #[to("review")]
    Review,
    #[to(END)]
    Done,
}

fn main() {}

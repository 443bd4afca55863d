use stategraph::prelude::*;

#[node]
async fn noop<S: State>(_s: &S) -> NodeResult<S::Update> {
    Ok(Default::default())
}

fn main() {}

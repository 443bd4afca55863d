use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

// A degrade default must be `fn(&State) -> Update`: this one returns the state.
fn zero(_: &Count) -> Count {
    Count::default()
}

#[node(degrade = zero)]
async fn extract(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

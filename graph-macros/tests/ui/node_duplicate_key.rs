use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node(name = "inc", name = "increment")]
async fn inc(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n + 1))
}

fn main() {}

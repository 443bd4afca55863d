use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node(critical, optional)]
async fn call(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

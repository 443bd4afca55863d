use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node]
async fn nothing(_s: &Count) {}

#[node]
async fn bare(s: &Count) -> CountUpdate {
    CountUpdate::default().n(s.n)
}

#[node]
async fn wrong_update(s: &Count) -> NodeResult<i64> {
    Ok(s.n)
}

fn main() {}

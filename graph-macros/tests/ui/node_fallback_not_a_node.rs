use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Other {
    n: i64,
}

// A plain function, not a `#[node]`.
async fn backup(_: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default())
}

// A node of another state's graph.
#[node]
async fn undo(_: &Other) -> NodeResult<OtherUpdate> {
    Ok(OtherUpdate::default())
}

#[node(fallback = backup, compensate = undo)]
async fn extract(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

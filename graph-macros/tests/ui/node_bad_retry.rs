use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

// Every mistake in the retry policy is reported in one compile.
#[node(retry(max_attempts = 0, initial = "1m", max = "1s", factor = 0.5, backoff = "x"))]
async fn call(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

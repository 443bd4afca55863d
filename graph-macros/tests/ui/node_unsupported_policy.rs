use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

fn zero(_: &Count) -> CountUpdate {
    CountUpdate::default()
}

#[node]
async fn undo(_: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default())
}

// Parsed and validated, but not wired into the runtime yet: each key is an
// error, not silently ignored.
#[node(
    retry(max_attempts = 3, initial = "500ms", factor = 2.0, max = "128s", jitter = true),
    timeout = "30s",
    breaker = "ocr",
    degrade = zero,
    compensate = undo,
    fallback = undo
)]
async fn extract(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

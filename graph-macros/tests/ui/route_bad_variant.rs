use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node]
async fn enrich(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

#[derive(Route)]
enum Next {
    #[to(enrich, enrich)]
    Twice,
    #[to(enrich)]
    Named { reason: String },
    #[to(1 + 1)]
    Expression,
}

fn main() {}

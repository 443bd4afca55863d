use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node]
async fn enrich(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

async fn plain(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

#[derive(Route)]
enum Next {
    #[to(enrich)]
    Readable,
    #[to(plain)]
    Plain,
    #[to(String)]
    NotEvenAFunction,
}

fn main() {}

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node]
async fn no_args() -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default())
}

#[node]
async fn by_value(s: Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

#[node]
async fn mutable(s: &mut Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

#[node]
async fn three(s: &Count, _ctx: &Ctx, _extra: &u8) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

#[node]
async fn mutable_ctx(s: &Count, _ctx: &mut Ctx) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

struct A;
struct B;
struct C;
struct D;
struct E;

#[node]
async fn greedy(s: &Count, _ctx: &Ctx, _a: Res<A>, _b: Res<B>, _c: Res<C>, _d: Res<D>, _e: Res<E>) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {}

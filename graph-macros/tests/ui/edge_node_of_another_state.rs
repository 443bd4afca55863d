use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Other {
    m: i64,
}

#[node]
async fn other(s: &Other) -> NodeResult<OtherUpdate> {
    Ok(OtherUpdate::default().m(s.m))
}

fn main() {
    let _graph = StateGraph::<Count>::new().add_edge(START, other).compile();
}

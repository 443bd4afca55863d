use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Count {
    n: i64,
}

#[node]
async fn extract(s: &Count) -> NodeResult<CountUpdate> {
    Ok(CountUpdate::default().n(s.n))
}

fn main() {
    let _graph = StateGraph::<Count>::new().add_edge(START, extrct).add_edge(extract, END).compile();
}

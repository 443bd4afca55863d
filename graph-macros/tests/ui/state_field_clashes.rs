use stategraph::prelude::*;

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Chat {
    #[reducer(append)]
    log: Vec<String>,
    overwrite_log: bool,
    __overwrite: u8,
}

fn main() {}

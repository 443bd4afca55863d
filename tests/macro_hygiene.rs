//! The generated code names everything by its full path: it compiles in a
//! module without the prelude, beside user items named like the helpers.

#![allow(dead_code)]

mod no_prelude {
    #![no_implicit_prelude]

    /// Names the generated code must not pick up.
    pub(crate) struct Option;
    pub(crate) struct Vec;
    pub(crate) fn __node() {}
    pub(crate) mod __state {}

    #[derive(
        ::stategraph::State,
        ::core::clone::Clone,
        ::core::fmt::Debug,
        ::core::default::Default,
        ::serde::Serialize,
        ::serde::Deserialize,
    )]
    pub(crate) struct Tally {
        pub(crate) total: i64,
        #[reducer(add)]
        pub(crate) hits: u32,
        #[reducer(append)]
        pub(crate) seen: ::std::vec::Vec<::std::string::String>,
    }

    #[::stategraph::node]
    pub(crate) async fn hit(t: &Tally) -> ::stategraph::NodeResult<TallyUpdate> {
        ::core::result::Result::Ok(<TallyUpdate as ::core::default::Default>::default().hits(1).total(t.total + 1))
    }

    #[derive(::stategraph::Route)]
    pub(crate) enum Next {
        #[to(hit)]
        Again,
        #[to(END)]
        Done,
    }

    pub(crate) fn next(t: &Tally) -> Next {
        if t.hits < 3 { Next::Again } else { Next::Done }
    }
}

use no_prelude::{Tally, hit, next};
use stategraph::prelude::*;

#[tokio::test]
async fn macros_expand_without_the_prelude() {
    let graph = StateGraph::new().add_edge(START, hit).add_conditional_edges(hit, next).compile().unwrap();
    let run = graph.invoke(Tally::default(), "t").await.unwrap();
    assert_eq!((run.state.total, run.state.hits), (3, 3));
}

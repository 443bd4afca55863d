//! `#[derive(State)]`: the generated update type, its builder, and each
//! reducer, checked against what the hand-written states in `common` do.

use std::collections::BTreeMap;

use stategraph::prelude::*;

fn sorted_append(current: &mut Vec<String>, new: Vec<String>) {
    current.extend(new);
    current.sort();
}

#[derive(State, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Invoice {
    id: String,
    text: Option<String>,
    #[reducer(append)]
    log: Vec<String>,
    #[reducer(add)]
    cost: f64,
    #[reducer(merge)]
    tags: BTreeMap<String, i32>,
    #[reducer(with = sorted_append)]
    docs: Vec<String>,
    r#type: u8,
}

#[test]
fn last_value_fields_replace_and_reducer_fields_merge() {
    let mut inv = Invoice { id: "INV-1".into(), log: vec!["a".into()], cost: 1.5, ..Default::default() };
    inv.apply(
        InvoiceUpdate::default()
            .text(Some("hello".into()))
            .log(vec!["b".into()])
            .cost(2.0)
            .tags(BTreeMap::from([("x".into(), 1)]))
            .docs(vec!["d2".into(), "d1".into()])
            .r#type(7),
    );
    inv.apply(InvoiceUpdate::default().tags(BTreeMap::from([("y".into(), 2)])).docs(vec!["d0".into()]));
    assert_eq!(inv.id, "INV-1", "an unwritten field keeps its value");
    assert_eq!(inv.text.as_deref(), Some("hello"));
    assert_eq!(inv.log, ["a", "b"]);
    assert_eq!(inv.cost, 3.5);
    assert_eq!(inv.tags, BTreeMap::from([("x".into(), 1), ("y".into(), 2)]));
    assert_eq!(inv.docs, ["d0", "d1", "d2"]);
    assert_eq!(inv.r#type, 7);
}

#[test]
fn overwrite_replaces_a_reducer_field_and_is_exclusive() {
    let mut inv = Invoice { log: vec!["a".into()], cost: 1.0, docs: vec!["z".into()], ..Default::default() };
    let update = InvoiceUpdate::default().overwrite_log(vec!["fresh".into()]).overwrite_docs(vec!["b".into()]);
    let mut written = Vec::new();
    Invoice::exclusive_writes(&update, &mut |f| written.push(f));
    assert_eq!(written, ["log", "docs"]);
    inv.apply(update);
    assert_eq!(inv.log, ["fresh"]);
    assert_eq!(inv.docs, ["b"]);
    inv.apply(InvoiceUpdate::default().overwrite_cost(10.0));
    assert_eq!(inv.cost, 10.0);
}

#[test]
fn exclusive_writes_name_last_value_fields_only() {
    let update = InvoiceUpdate::default().id("x".into()).log(vec![]).cost(1.0).r#type(1);
    let mut written = Vec::new();
    Invoice::exclusive_writes(&update, &mut |f| written.push(f));
    assert_eq!(written, ["id", "type"], "merged writes never conflict; raw identifiers lose their r#");
}

#[test]
fn into_update_writes_every_field() {
    let inv = Invoice { id: "i".into(), log: vec!["l".into()], cost: 2.0, ..Default::default() };
    let mut other = Invoice { log: vec!["old".into()], cost: 1.0, ..Default::default() };
    other.apply(inv.clone().into_update());
    assert_eq!(other.id, "i");
    assert_eq!(other.log, ["old", "l"], "a whole state merges through the reducers");
    assert_eq!(other.cost, 3.0);
}

#[test]
fn the_update_serializes_only_what_it_writes() {
    let update = InvoiceUpdate::default().cost(1.0);
    assert_eq!(serde_json::to_string(&update).unwrap(), r#"{"cost":1.0}"#);
    let update = InvoiceUpdate::default().overwrite_log(vec!["x".into()]);
    let json = serde_json::to_string(&update).unwrap();
    assert_eq!(json, r#"{"log":["x"],"__overwrite":["log"]}"#);
    let back: InvoiceUpdate = serde_json::from_str(&json).unwrap();
    let mut inv = Invoice { log: vec!["old".into()], ..Default::default() };
    inv.apply(back);
    assert_eq!(inv.log, ["x"], "the overwrite survives a round trip");
}

/// A state with no reducer field has no overwrite set to carry.
#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plain {
    /// A last value.
    pub n: i64,
}

#[test]
fn a_state_without_reducers_builds_with_struct_syntax() {
    let mut p = Plain::default();
    p.apply(PlainUpdate { n: Some(3) });
    assert_eq!(p.n, 3);
}

mod renamed {
    use stategraph as sg;

    /// The facade under another name, reached with `crate = "..."`.
    #[derive(sg::State, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
    #[state(crate = "sg")]
    pub(crate) struct Renamed {
        #[reducer(add)]
        pub(crate) n: i64,
    }
}

#[test]
fn the_crate_path_can_be_overridden() {
    use renamed::{Renamed, RenamedUpdate};
    let mut r = Renamed { n: 1 };
    r.apply(RenamedUpdate::default().n(2));
    assert_eq!(r.n, 3);
}

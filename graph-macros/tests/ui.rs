//! Compile-fail UI tests: every error the macros report, with the message
//! under the user's token (snapshots in `tests/ui/*.stderr`).
//!
//! Refresh the snapshots after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p graph-macros --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

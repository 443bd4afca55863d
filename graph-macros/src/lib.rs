//! The macros of [stategraph](https://docs.rs/stategraph): `#[derive(State)]`,
//! `#[node]` and `#[derive(Route)]`.
//!
//! Use them through the facade (`use stategraph::prelude::*;`): the code they
//! generate names the runtime as `::stategraph::__private`, or the path given
//! by a `crate = "..."` key when the facade is renamed. Generated items sit in
//! `const _: () = { ... };`, except the ones a user names: the update type of a
//! state and the handle of a node.
//!
//! Each macro reports every mistake of an item in one compile, at the token at
//! fault; `tests/ui` holds a compile-fail case for each message.

mod errors;
mod krate;
mod node;
mod route;
mod state;

use proc_macro::TokenStream;

/// Derives `State` for a struct with named fields, and writes its update type.
///
/// For `struct Invoice` it generates `InvoiceUpdate` (same visibility): one
/// `Option` per field, `Default`, `Clone`, `Debug` and serde, and a builder
/// method per field (`.cost(1.5)`); a reducer field also gets
/// `.overwrite_<field>(value)`, which replaces the value instead of merging it.
/// Build an update with the methods or with `..Default::default()`.
///
/// Each field merges through its reducer:
///
/// | attribute | merge | field types |
/// | --- | --- | --- |
/// | none (or `#[reducer(last_value)]`) | the written value replaces the current one | any |
/// | `#[reducer(append)]` | appends | `Vec`, `VecDeque`, `String` |
/// | `#[reducer(add)]` | adds | numbers (`AddAssign`) |
/// | `#[reducer(merge)]` | key by key, a written key replaces | `BTreeMap`, `HashMap` |
/// | `#[reducer(messages)]` | appends, but a message with a known id replaces it (or, a removal, removes it): LangGraph's `add_messages` | `Vec<M>`, `M: MessageId` |
/// | `#[reducer(with = path::to::f)]` | `f(&mut current, written)` | any, with `f: fn(&mut T, T)` |
///
/// Two tasks of one super-step writing the same last-value field (or
/// overwriting the same reducer field) is a conflict the run reports, not a
/// silent overwrite. `#[state(crate = "path")]` names the facade when it is
/// renamed in `Cargo.toml` (as serde's `crate` attribute does).
///
/// The struct itself must be `Clone + Debug + Serialize + Deserialize` (derive
/// them; serde's derive needs `serde` among your dependencies) and not generic.
///
/// ```
/// use std::collections::BTreeMap;
/// use stategraph::prelude::*;
///
/// fn keep_sorted(current: &mut Vec<String>, new: Vec<String>) {
///     current.extend(new);
///     current.sort();
/// }
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Invoice {
///     id: String,
///     #[reducer(append)]
///     notes: Vec<String>,
///     #[reducer(add)]
///     cost_usd: f64,
///     #[reducer(merge)]
///     fields: BTreeMap<String, String>,
///     #[reducer(with = keep_sorted)]
///     tags: Vec<String>,
/// }
///
/// let mut inv = Invoice { id: "INV-1".into(), cost_usd: 1.0, ..Default::default() };
/// inv.apply(InvoiceUpdate::default().notes(vec!["scanned".into()]).cost_usd(0.5));
/// inv.apply(InvoiceUpdate { tags: Some(vec!["b".into(), "a".into()]), ..Default::default() });
/// assert_eq!((inv.notes.len(), inv.cost_usd), (1, 1.5));
/// assert_eq!(inv.tags, ["a", "b"]);
///
/// inv.apply(InvoiceUpdate::default().overwrite_notes(vec![]));
/// assert!(inv.notes.is_empty());
/// ```
///
/// A reducer that cannot merge the field's type is an error at the type:
///
/// ```compile_fail,E0277
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Chat {
///     #[reducer(append)]
///     turns: u64, // error: `Append` cannot merge a field of type `u64`
/// }
/// ```
#[proc_macro_derive(State, attributes(state, reducer))]
pub fn derive_state(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    state::derive(&input).into()
}

/// Makes an `async fn` a node: a typed handle that the graph builder takes,
/// so wiring names a Rust item and a misspelt node does not compile.
///
/// The function is `async fn name(state: &S, ctx: &Ctx) -> NodeResult<S::Update>`;
/// `ctx` is optional and `NodeResult<Command<S>>` may be returned instead.
/// After them come up to four resource arguments, `llm: Res<LlmClient>`
/// (any `FromCtx` type; `Option<Res<T>>` for one that may be absent): values
/// registered on the graph with `StateGraph::with_resource`, which `compile`
/// checks are all there (a missing one is `BuildError::MissingResource`
/// naming the node and the type). `#[node]` replaces the function's name
/// with a unit struct (the handle, which implements `NodeHandle`) that still
/// calls the function: `name(&state, &ctx).await` works as before (with
/// `Res::new(value)` for a resource argument), through a boxed `Send` future.
///
/// Keys:
/// - `name = "..."`: the node's name in the graph, its records and its DOT
///   (default: the function's name);
/// - `crate = "..."`: the path to the facade when it is renamed;
/// - the resilience policy: `retry(max_attempts = 3, initial = "500ms",
///   factor = 2.0, max = "128s", jitter = true)`, `timeout = "30s"`,
///   `breaker = "service"`, one of `critical` / `degrade = path` / `optional`,
///   `compensate = node`, `fallback = node`. Durations and numbers are
///   checked at compile time; the keys become the node's `NodePolicy`, as the
///   builder's `retry`/`timeout`/`breaker`/... calls would set it (a builder
///   call on the same node overrides the attribute).
///
/// ```
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Count {
///     n: i64,
/// }
///
/// /// Adds one.
/// #[node]
/// async fn inc(s: &Count, ctx: &Ctx) -> NodeResult<CountUpdate> {
///     assert_eq!(ctx.node(), "inc");
///     Ok(CountUpdate::default().n(s.n + 1))
/// }
///
/// #[node(name = "double it")]
/// async fn double(s: &Count) -> NodeResult<CountUpdate> {
///     Ok(CountUpdate::default().n(s.n * 2))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = StateGraph::new()
///     .add_edge(START, inc)
///     .add_edge(inc, double)
///     .add_edge(double, END)
///     .compile()?;
/// let run = graph.invoke(Count { n: 20 }, "thread-1").await?;
/// assert_eq!(run.state.n, 42);
///
/// // The handle still calls the function.
/// assert_eq!(double(&Count { n: 2 }).await.unwrap().n, Some(4));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// With a policy: a flaky OCR service behind a breaker, retried, and a
/// default when it stays down:
///
/// ```
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Invoice {
///     text: Option<String>,
/// }
///
/// fn no_text(_: &Invoice) -> InvoiceUpdate {
///     InvoiceUpdate::default().text(None)
/// }
///
/// #[node(retry(max_attempts = 2, initial = "1ms"), timeout = "5s", breaker = "ocr", degrade = no_text)]
/// async fn ocr(_: &Invoice) -> NodeResult<InvoiceUpdate> {
///     Err(NodeError::transient("ocr service unavailable"))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let graph = StateGraph::new().add_edge(START, ocr).add_edge(ocr, END).compile()?;
/// let run = graph.invoke(Invoice::default(), "invoice-1").await?;
/// assert!(run.is_completed());
/// assert_eq!(run.health.degraded.len(), 1);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// A misspelt node in the wiring is an error at the misspelling:
///
/// ```compile_fail,E0425
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Count { n: i64 }
///
/// #[node]
/// async fn extract(s: &Count) -> NodeResult<CountUpdate> {
///     Ok(CountUpdate::default().n(s.n))
/// }
///
/// let graph = StateGraph::<Count>::new().add_edge(START, extrct); // error: cannot find value `extrct`
/// ```
///
/// and so is a node that is not `async`:
///
/// ```compile_fail
/// # use stategraph::prelude::*;
/// # #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// # struct Count { n: i64 }
/// #[node]
/// fn inc(s: &Count) -> NodeResult<CountUpdate> { // error: a node must be an `async fn`
///     Ok(CountUpdate::default().n(s.n + 1))
/// }
/// ```
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::attribute(args.into(), item.into()).into()
}

/// Derives `Route` for an enum whose variants name their targets, so that a
/// router returning it can drive `add_conditional_edges`.
///
/// Each variant is a branch labelled with its name (the label of its dashed
/// edges in DOT):
/// - `#[to(node)]` goes to a `#[node]` function, `#[to(a, b)]` to several at
///   once, `#[to(END)]` ends the branch, `#[to("name")]` names a node added
///   with `add_node`;
/// - a variant carrying one `Vec<State>` field fans out: one task of each
///   target per element, each reading its element as its state (LangGraph's
///   `Send`).
///
/// The graph knows every target at build time, to validate and draw them.
/// The state type comes from the targets' `#[node]`s, or from a fan-out
/// variant; when no target names a node, say it with
/// `#[route(state = MyState)]`. `#[route(crate = "...")]` names a renamed
/// facade.
///
/// ```
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Doc {
///     text: String,
///     #[reducer(append)]
///     trail: Vec<String>,
/// }
///
/// #[node]
/// async fn extract(_: &Doc) -> NodeResult<DocUpdate> {
///     Ok(DocUpdate::default().trail(vec!["extract".into()]))
/// }
///
/// #[node]
/// async fn enrich(_: &Doc) -> NodeResult<DocUpdate> {
///     Ok(DocUpdate::default().trail(vec!["enrich".into()]))
/// }
///
/// #[derive(Route)]
/// enum AfterExtract {
///     #[to(enrich)]
///     Readable,
///     #[to(END)]
///     Unreadable,
/// }
///
/// fn after_extract(doc: &Doc) -> AfterExtract {
///     if doc.text.is_empty() { AfterExtract::Unreadable } else { AfterExtract::Readable }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = StateGraph::new()
///     .add_edge(START, extract)
///     .add_conditional_edges(extract, after_extract)
///     .add_edge(enrich, END)
///     .compile()?;
/// let run = graph.invoke(Doc { text: "hello".into(), ..Default::default() }, "t").await?;
/// assert_eq!(run.state.trail, ["extract", "enrich"]);
/// assert!(graph.to_dot().contains("label=\"Readable\""));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// A misspelt target is an error at the misspelling:
///
/// ```compile_fail,E0425
/// # use stategraph::prelude::*;
/// # #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// # struct Doc { text: String }
/// # #[node]
/// # async fn enrich(_: &Doc) -> NodeResult<DocUpdate> { Ok(DocUpdate::default()) }
/// #[derive(Route)]
/// enum AfterExtract {
///     #[to(enrihc)] // error: cannot find type `enrihc` (help: a struct with a similar name exists)
///     Readable,
///     #[to(END)]
///     Unreadable,
/// }
/// ```
#[proc_macro_derive(Route, attributes(route, to))]
pub fn derive_route(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    route::derive(&input).into()
}

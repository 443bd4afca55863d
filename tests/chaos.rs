//! Chaos tests: the four fault-injection scenarios the resilience guide asks
//! to automate, through the public API. A slow agent behind a timeout and a
//! circuit breaker; an external service that goes down and comes back, with
//! degraded runs, dead letters and a requeue from the checkpoints after a
//! process restart; ten times the normal volume through the worker pool; and
//! corrupted input rejected by validation while other runs go on.
//!
//! Every test asserts behaviour (outcomes, states, call counts, bounds), and
//! the slow ones run on tokio's paused clock, so nothing really waits.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stategraph::exec::{Engine, EngineConfig, EngineError};
use stategraph::prelude::*;
use tokio::time::Instant;

/// How often each node ran for each thread: `(node, thread) -> calls`.
#[derive(Default)]
struct Calls(Mutex<HashMap<(&'static str, String), usize>>);

impl Calls {
    fn hit(&self, node: &'static str, thread: &str) {
        *self.0.lock().unwrap().entry((node, thread.to_owned())).or_default() += 1;
    }

    fn of(&self, node: &'static str, thread: &str) -> usize {
        self.0.lock().unwrap().get(&(node, thread.to_owned())).copied().unwrap_or(0)
    }

    fn total(&self, node: &'static str) -> usize {
        self.0.lock().unwrap().iter().filter(|((n, _), _)| *n == node).map(|(_, c)| c).sum()
    }
}

fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).initial(Duration::from_millis(1)).jitter(false)
}

// ---------------------------------------------------------------------------
// 1. Agent timeout
// ---------------------------------------------------------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Query {
    question: String,
    answer: String,
}

/// One agent that takes 30 s while `slow`, cut off at 5 s, behind the
/// breaker `llm` (opens after 3 consecutive failures, cools down for 60 s).
fn slow_agent_graph(slow: Arc<AtomicBool>, calls: Arc<AtomicUsize>) -> CompiledGraph<Query> {
    StateGraph::new()
        .add_node("slow_agent", move |q: &Query| {
            calls.fetch_add(1, Ordering::SeqCst);
            let slow = slow.load(Ordering::SeqCst);
            let question = q.question.clone();
            async move {
                if slow {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                Ok(QueryUpdate::default().answer(format!("answer to {question}")))
            }
        })
        .add_edge(START, "slow_agent")
        .add_edge("slow_agent", END)
        .timeout("slow_agent", Duration::from_secs(5))
        .breaker("slow_agent", "llm")
        .breaker_config("llm", BreakerConfig { failure_threshold: 3, cool_down: Duration::from_secs(60) })
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

/// The guide's agent timeout test: an agent delayed by 30 s. Each run is cut
/// at the 5 s timeout until the breaker opens; from then on runs fail fast
/// without calling the agent, and wait in the dead-letter queue. Once the
/// agent is fast again and the cool-down has passed, requeuing them lets the
/// first one through as the half-open trial, which closes the breaker, and
/// every queued request completes.
#[tokio::test(start_paused = true)]
async fn chaos_timeout_slow_agent_opens_the_breaker_and_later_runs_fail_fast() {
    let (slow, calls) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicUsize::new(0)));
    let graph = slow_agent_graph(slow.clone(), calls.clone());
    let input = |i: usize| Query { question: format!("q{i}"), ..Query::default() };

    for i in 0..3 {
        let start = Instant::now();
        let run = graph.invoke(input(i), &format!("q{i}")).await.unwrap();
        let Outcome::Failed { node, error } = &run.outcome else { panic!("q{i}: {:?}", run.outcome) };
        assert_eq!((node.as_str(), error.kind), ("slow_agent", ErrorKind::Timeout), "q{i}: {error}");
        assert!(error.message.contains("5s time limit"), "{error}");
        // On the paused clock: the caller waited for the timeout, not the agent's 30 s.
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert!(run.state.answer.is_empty(), "the cut attempt's writes are discarded");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(graph.breakers().state("llm"), Some(BreakerState::Open), "three timeouts opened the breaker");

    for i in 3..8 {
        let start = Instant::now();
        let run = graph.invoke(input(i), &format!("q{i}")).await.unwrap();
        let Outcome::Failed { node, error } = &run.outcome else { panic!("q{i}: {:?}", run.outcome) };
        assert_eq!((node.as_str(), error.kind), ("slow_agent", ErrorKind::Unavailable), "q{i}: {error}");
        assert!(error.message.contains("circuit breaker `llm` is open"), "{error}");
        assert_eq!(start.elapsed(), Duration::ZERO, "an open breaker fails fast: no waiting, even on the paused clock");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "the agent was not called while the breaker was open");

    // The refused requests are queued, not lost.
    let letters = graph.dead_letters().await.unwrap();
    let queued: Vec<(&str, ErrorKind, u32)> =
        letters.iter().map(|l| (l.thread.as_str(), l.error.kind, l.attempts)).collect();
    let mut expected: Vec<(&str, ErrorKind, u32)> =
        vec![("q0", ErrorKind::Timeout, 1), ("q1", ErrorKind::Timeout, 1), ("q2", ErrorKind::Timeout, 1)];
    expected.extend(["q3", "q4", "q5", "q6", "q7"].map(|t| (t, ErrorKind::Unavailable, 1)));
    assert_eq!(queued, expected);

    // The agent recovers; after the cool-down the queue drains.
    slow.store(false, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(60)).await;
    for letter in &letters {
        let run = graph.requeue(&letter.thread).await.unwrap();
        assert!(run.is_completed(), "{}: {:?}", letter.thread, run.outcome);
        assert_eq!(run.state.answer, format!("answer to {}", letter.thread));
        assert_eq!(graph.breakers().state("llm"), Some(BreakerState::Closed), "the first requeue was a good trial");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3 + 8, "each queued request called the agent once more");
    assert!(graph.dead_letters().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// 2. Complete failure of a service, then recovery
// ---------------------------------------------------------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Order {
    id: String,
    /// In cents; a free order (0) needs no charge.
    amount: i64,
    enrichment: String,
    #[reducer(append)]
    log: Vec<String>,
}

/// The external service both `enrich` and `charge` call.
#[derive(Default)]
struct Service {
    down: AtomicBool,
    calls: Calls,
}

impl Service {
    fn call(&self, what: &str) -> NodeResult<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(NodeError::transient(format!("{what} service down")))
        } else {
            Ok(())
        }
    }
}

/// `load -> enrich -> charge -> ship`. `enrich` degrades to "unavailable";
/// `charge` is critical, with 3 attempts; `load` and `ship` are local.
fn order_graph(service: Arc<Service>, saver: Arc<dyn Checkpointer>) -> CompiledGraph<Order> {
    let (s1, s2, s3, s4) = (service.clone(), service.clone(), service.clone(), service);
    StateGraph::new()
        .add_node("load", move |_: &Order, ctx: &Ctx| {
            s1.calls.hit("load", ctx.thread_id());
            async { Ok(OrderUpdate::default().log(vec!["loaded".into()])) }
        })
        .add_node("enrich", move |order: &Order, ctx: &Ctx| {
            s2.calls.hit("enrich", ctx.thread_id());
            let result = s2.call("customer").map(|()| format!("customer of {}", order.id));
            async move { Ok(OrderUpdate::default().enrichment(result?)) }
        })
        .add_node("charge", move |order: &Order, ctx: &Ctx| {
            s3.calls.hit("charge", ctx.thread_id());
            let result = if order.amount == 0 { Ok("no charge") } else { s3.call("payment").map(|()| "charged") };
            async move { Ok(OrderUpdate::default().log(vec![result?.into()])) }
        })
        .add_node("ship", move |_: &Order, ctx: &Ctx| {
            s4.calls.hit("ship", ctx.thread_id());
            async { Ok(OrderUpdate::default().log(vec!["shipped".into()])) }
        })
        .add_edge(START, "load")
        .add_edge("load", "enrich")
        .add_edge("enrich", "charge")
        .add_edge("charge", "ship")
        .add_edge("ship", END)
        .retry("enrich", fast_retry(2))
        .degrade("enrich", |_: &Order| OrderUpdate::default().enrichment("unavailable".into()))
        .retry("charge", fast_retry(3))
        .compile()
        .unwrap()
        .with_shared_checkpointer(saver)
}

/// The guide's complete failure test: the service is down while ten orders
/// run at once on the sled store. Free orders degrade (the run completes,
/// its health says what is missing); paid orders fail at the critical
/// `charge` and land in the dead-letter queue. The process restarts, the
/// service comes back, the operator requeues the letters: each completes
/// from its checkpoint, the nodes that had succeeded are not run again, and
/// every thread ends completed with the queue empty.
#[tokio::test]
async fn chaos_outage_then_recovery_degrades_or_dead_letters_and_requeue_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let service = Arc::new(Service::default());
    let orders: Vec<Order> = (0..10)
        .map(|i| Order {
            id: format!("order-{i}"),
            amount: if i % 2 == 0 { 100 * (i + 1) } else { 0 },
            ..Order::default()
        })
        .collect();
    let (paid, free): (Vec<&Order>, Vec<&Order>) = orders.iter().partition(|o| o.amount > 0);

    service.down.store(true, Ordering::SeqCst);
    {
        let graph = order_graph(service.clone(), Arc::new(SledSaver::open(dir.path()).unwrap()));
        let runs = futures::future::join_all(orders.iter().map(|o| graph.invoke(o.clone(), &o.id))).await;
        for (order, run) in orders.iter().zip(runs) {
            let run = run.unwrap();
            if order.amount == 0 {
                assert!(run.is_completed(), "{}: {:?}", order.id, run.outcome);
                assert_eq!(run.state.log, ["loaded", "no charge", "shipped"]);
                assert_eq!(run.state.enrichment, "unavailable");
                assert_eq!(run.health.degraded.len(), 1, "{}: {:?}", order.id, run.health);
                assert_eq!(run.health.degraded[0].node, "enrich");
                assert_eq!(run.health.degraded[0].error.message, "customer service down");
                assert_eq!(run.health.degraded[0].tainted, ["charge", "ship"]);
            } else {
                let Outcome::Failed { node, error } = &run.outcome else { panic!("{}: {:?}", order.id, run.outcome) };
                assert_eq!((node.as_str(), error.kind), ("charge", ErrorKind::Transient));
                assert_eq!(error.message, "payment service down");
                assert_eq!(run.state.log, ["loaded"], "what succeeded before the outage is in the state");
            }
        }
        let letters = graph.dead_letters().await.unwrap();
        let queued: Vec<(&str, &str, u32)> =
            letters.iter().map(|l| (l.thread.as_str(), l.node.as_str(), l.attempts)).collect();
        let expected: Vec<(&str, &str, u32)> = paid.iter().map(|o| (o.id.as_str(), "charge", 3)).collect();
        assert_eq!(queued, expected, "every paid order, and only those, is dead-lettered");
        // `graph` and its store are dropped here: the process "restarts".
    }
    for order in &orders {
        let calls = (service.calls.of("load", &order.id), service.calls.of("enrich", &order.id));
        assert_eq!(calls, (1, 2), "{}: load once, enrich twice (its retry) before degrading", order.id);
        let charged = if order.amount == 0 { 1 } else { 3 };
        assert_eq!(service.calls.of("charge", &order.id), charged, "{}", order.id);
        assert_eq!(service.calls.of("ship", &order.id), usize::from(order.amount == 0), "{}", order.id);
    }

    // The service recovers; a new process on the same store drains the queue.
    service.down.store(false, Ordering::SeqCst);
    let graph = order_graph(service.clone(), Arc::new(SledSaver::open(dir.path()).unwrap()));
    let letters = graph.dead_letters().await.unwrap();
    assert_eq!(letters.len(), paid.len(), "the dead letters survived the restart");
    for letter in &letters {
        let run = graph.requeue(&letter.thread).await.unwrap();
        assert!(run.is_completed(), "{}: {:?}", letter.thread, run.outcome);
        assert_eq!(run.state.log, ["loaded", "charged", "shipped"], "{}: nothing lost, nothing twice", letter.thread);
        assert_eq!(run.state.enrichment, "unavailable", "the degraded default from before the outage stays");
        let degraded: Vec<&str> = run.health.degraded.iter().map(|d| d.node.as_str()).collect();
        assert_eq!(degraded, ["enrich"], "{}: the health record comes from the checkpoint", letter.thread);
    }
    for order in &paid {
        assert_eq!(service.calls.of("load", &order.id), 1, "{}: load is not run again", order.id);
        assert_eq!(service.calls.of("enrich", &order.id), 2, "{}: enrich is not run again", order.id);
        assert_eq!(service.calls.of("charge", &order.id), 3 + 1, "{}: charge ran once more", order.id);
        assert_eq!(service.calls.of("ship", &order.id), 1, "{}", order.id);
    }

    assert!(graph.dead_letters().await.unwrap().is_empty());
    assert_eq!(graph.purge_dead_letters(None).await.unwrap(), 0);
    for order in paid.iter().chain(&free) {
        let snapshot = graph.state(&order.id).await.unwrap();
        assert!(snapshot.next.is_empty(), "{}: nothing left to run", order.id);
        assert_eq!(snapshot.values.log.last().map(String::as_str), Some("shipped"), "{}", order.id);
        let err = graph.resume(&order.id, Resume::new()).await.unwrap_err();
        assert!(matches!(err, RunError::NotResumable { .. }), "{}: {err}", order.id);
    }
}

// ---------------------------------------------------------------------------
// 3. Saturation
// ---------------------------------------------------------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Job {
    #[reducer(append)]
    log: Vec<String>,
}

/// What the pool holds, as the runs themselves see it.
#[derive(Default)]
struct Load {
    /// Runs between their first and last node.
    running: AtomicUsize,
    max_running: AtomicUsize,
    /// Runs accepted by `submit` whose last node has not finished.
    outstanding: AtomicUsize,
    max_outstanding: AtomicUsize,
    calls: Calls,
}

impl Load {
    fn accepted(&self) {
        let now = self.outstanding.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_outstanding.fetch_max(now, Ordering::SeqCst);
    }
}

/// `intake -> process (20 ms on tokio's clock) -> done`.
fn job_graph(load: Arc<Load>) -> CompiledGraph<Job> {
    let (l1, l2, l3) = (load.clone(), load.clone(), load);
    StateGraph::new()
        .add_node("intake", move |_: &Job, ctx: &Ctx| {
            l1.calls.hit("intake", ctx.thread_id());
            let now = l1.running.fetch_add(1, Ordering::SeqCst) + 1;
            l1.max_running.fetch_max(now, Ordering::SeqCst);
            async { Ok(JobUpdate::default().log(vec!["intake".into()])) }
        })
        .add_node("process", move |_: &Job, ctx: &Ctx| {
            l2.calls.hit("process", ctx.thread_id());
            async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(JobUpdate::default().log(vec!["processed".into()]))
            }
        })
        .add_node("done", move |_: &Job, ctx: &Ctx| {
            l3.calls.hit("done", ctx.thread_id());
            l3.running.fetch_sub(1, Ordering::SeqCst);
            l3.outstanding.fetch_sub(1, Ordering::SeqCst);
            async { Ok(JobUpdate::default().log(vec!["done".into()])) }
        })
        .add_edge(START, "intake")
        .add_edge("intake", "process")
        .add_edge("process", "done")
        .add_edge("done", END)
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

/// The guide's saturation test: 200 runs submitted in quick bursts to a pool
/// of 2 workers and a queue of 8. Every submission is either accepted and
/// completes, or refused at once with a clear `QueueFull` that queued
/// nothing; what the pool holds never exceeds workers + queue; the refused
/// threads, resubmitted once the load drains, complete too.
#[tokio::test(start_paused = true)]
async fn chaos_saturation_ten_times_the_volume_is_accepted_or_refused_within_bounds() {
    const WORKERS: usize = 2;
    const QUEUE: usize = 8;
    let load = Arc::new(Load::default());
    let graph = job_graph(load.clone());
    let engine = Engine::new(graph.clone(), EngineConfig { workers: WORKERS, queue: QUEUE });
    let expect_done = |thread: &str, result: Result<RunResult<Job>, EngineError>| {
        let run = result.unwrap_or_else(|e| panic!("{thread}: {e}"));
        assert!(run.is_completed(), "{thread}: {:?}", run.outcome);
        assert_eq!(run.state.log, ["intake", "processed", "done"], "{thread}");
    };

    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    for i in 0..200 {
        let thread = format!("job-{i}");
        match engine.submit(thread.clone(), Job::default()) {
            Ok(ticket) => {
                load.accepted();
                accepted.push((thread, ticket));
            }
            Err(err @ EngineError::QueueFull { .. }) => {
                let message = err.to_string();
                assert!(message.contains("queue is full"), "{message}");
                assert!(message.contains(&format!("{QUEUE} runs waiting")), "{message}");
                assert!(message.contains(&format!("{thread:?} was not accepted")), "{message}");
                let EngineError::QueueFull { thread: named, capacity } = err else { unreachable!() };
                assert_eq!((named.as_str(), capacity), (thread.as_str(), QUEUE));
                refused.push(thread);
            }
            Err(other) => panic!("{thread}: unexpected refusal: {other}"),
        }
        // Bursts of 20, 10 ms apart on the paused clock: the workers make
        // some progress between bursts, far less than is submitted.
        if i % 20 == 19 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert_eq!(accepted.len() + refused.len(), 200);
    assert!(accepted.len() >= QUEUE, "at least a full queue is accepted: {}", accepted.len());
    assert!(refused.len() > 100, "the overload is shed, not absorbed: {} refused", refused.len());
    for thread in &refused {
        let err = graph.state(thread).await.unwrap_err();
        assert!(matches!(err, RunError::NoSuchThread { .. }), "{thread}: a refusal queues nothing: {err}");
    }

    for (thread, ticket) in accepted {
        expect_done(&thread, ticket.await);
    }

    // The load has drained: resubmit the refused threads, with backpressure.
    let mut pending: VecDeque<(String, _)> = VecDeque::new();
    for thread in refused {
        loop {
            match engine.submit(thread.clone(), Job::default()) {
                Ok(ticket) => {
                    load.accepted();
                    pending.push_back((thread, ticket));
                    break;
                }
                Err(EngineError::QueueFull { .. }) => {
                    let (oldest, ticket) = pending.pop_front().expect("a full queue means runs are pending");
                    expect_done(&oldest, ticket.await);
                }
                Err(other) => panic!("{thread}: {other}"),
            }
        }
    }
    for (thread, ticket) in pending {
        expect_done(&thread, ticket.await);
    }
    engine.shutdown().await;

    for node in ["intake", "process", "done"] {
        assert_eq!(load.calls.total(node), 200, "{node}: every thread ran once, none twice");
    }
    assert_eq!(load.running.load(Ordering::SeqCst), 0);
    assert_eq!(load.outstanding.load(Ordering::SeqCst), 0);
    assert_eq!(load.max_running.load(Ordering::SeqCst), WORKERS, "never more runs at once than workers");
    assert_eq!(
        load.max_outstanding.load(Ordering::SeqCst),
        WORKERS + QUEUE,
        "memory is bounded: never more than workers + queue runs held, and the pool was full"
    );
}

// ---------------------------------------------------------------------------
// 4. Corrupted input
// ---------------------------------------------------------------------------

#[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
struct Payment {
    id: String,
    /// In cents.
    amount: i64,
    currency: String,
    /// The amount plus a 1% fee.
    total: i64,
    #[reducer(append)]
    log: Vec<String>,
}

fn payment(id: &str, amount: i64, currency: &str) -> Payment {
    Payment { id: id.into(), amount, currency: currency.into(), ..Payment::default() }
}

/// `validate -> price -> record`, 3 attempts for every node. `validate`
/// rejects an empty id, an amount that is not positive and an unknown
/// currency; `price` panics on an overflow that validation does not catch.
fn payment_graph(calls: Arc<Calls>) -> CompiledGraph<Payment> {
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls);
    StateGraph::new()
        .add_node("validate", move |p: &Payment, ctx: &Ctx| {
            c1.hit("validate", ctx.thread_id());
            let fault = if p.id.trim().is_empty() {
                Some("payment id is empty".to_owned())
            } else if p.amount <= 0 {
                Some(format!("amount {} is not positive", p.amount))
            } else if !["EUR", "USD"].contains(&p.currency.as_str()) {
                Some(format!("unknown currency {:?}", p.currency))
            } else {
                None
            };
            async move {
                match fault {
                    Some(fault) => Err(NodeError::permanent(fault)),
                    None => Ok(PaymentUpdate::default().log(vec!["validated".into()])),
                }
            }
        })
        .add_node("price", move |p: &Payment, ctx: &Ctx| {
            c2.hit("price", ctx.thread_id());
            let amount = p.amount;
            // In the future, where the executor turns a panic into a
            // permanent failure. (A panic in the closure's synchronous part,
            // before it returns its future, escapes today and kills the
            // engine's worker: a library gap.)
            async move {
                let total = amount.checked_add(amount / 100).expect("total overflows i64");
                Ok(PaymentUpdate::default().total(total).log(vec!["priced".into()]))
            }
        })
        .add_node("record", move |_: &Payment, ctx: &Ctx| {
            c3.hit("record", ctx.thread_id());
            async { Ok(PaymentUpdate::default().log(vec!["recorded".into()])) }
        })
        .add_edge(START, "validate")
        .add_edge("validate", "price")
        .add_edge("price", "record")
        .add_edge("record", END)
        .default_retry(fast_retry(3))
        .compile()
        .unwrap()
        .with_checkpointer(MemorySaver::new())
}

/// The guide's corrupted data test: valid and invalid payments go through the
/// pool together, on a multi-threaded runtime. Each invalid one fails at
/// `validate` with a permanent error naming the fault (not retried, nothing
/// after it runs) and is dead-lettered; one that slips past validation and
/// panics in `price` fails the same way; the worker survives and every valid
/// payment completes with the right total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_corrupted_input_is_rejected_without_disturbing_valid_runs() {
    let calls = Arc::new(Calls::default());
    let graph = payment_graph(calls.clone());
    let engine = Engine::new(graph.clone(), EngineConfig { workers: 4, queue: 32 });

    let valid = [("ok-1", 10_000, "EUR"), ("ok-2", 250, "USD"), ("ok-3", 99, "EUR"), ("ok-4", 123_456, "USD")];
    let invalid = [
        ("bad-negative", payment("p-1", -500, "EUR"), "validate", "amount -500 is not positive"),
        ("bad-empty-id", payment("  ", 100, "EUR"), "validate", "payment id is empty"),
        ("bad-zero", payment("p-3", 0, "USD"), "validate", "amount 0 is not positive"),
        ("bad-currency", payment("p-4", 100, "E$R"), "validate", "unknown currency \"E$R\""),
        ("bad-overflow", payment("p-5", i64::MAX, "EUR"), "price", "the node panicked: total overflows i64"),
    ];
    // Interleaved, so the bad ones run beside good ones.
    let mut tickets = Vec::new();
    for i in 0..valid.len().max(invalid.len()) {
        if let Some((thread, amount, currency)) = valid.get(i) {
            tickets.push((*thread, engine.submit(*thread, payment(thread, *amount, currency)).unwrap()));
        }
        if let Some((thread, input, ..)) = invalid.get(i) {
            tickets.push((*thread, engine.submit(*thread, input.clone()).unwrap()));
        }
    }
    let mut runs = HashMap::new();
    for (thread, ticket) in tickets {
        runs.insert(thread, ticket.await.unwrap_or_else(|e| panic!("{thread}: {e}")));
    }
    engine.shutdown().await;

    for (thread, amount, _) in valid {
        let run = &runs[thread];
        assert!(run.is_completed(), "{thread}: {:?}", run.outcome);
        assert_eq!(run.state.total, amount + amount / 100, "{thread}");
        assert_eq!(run.state.log, ["validated", "priced", "recorded"], "{thread}");
        assert!(run.health.is_clean(), "{thread}");
    }
    for (thread, _, failed_at, fault) in &invalid {
        let run = &runs[thread];
        let Outcome::Failed { node, error } = &run.outcome else { panic!("{thread}: {:?}", run.outcome) };
        assert_eq!((node.as_str(), error.kind), (*failed_at, ErrorKind::Permanent), "{thread}");
        assert_eq!(error.message, *fault, "{thread}: the error names the fault");
        assert_eq!(calls.of(failed_at, thread), 1, "{thread}: a permanent error is not retried");
        assert_eq!(calls.of("record", thread), 0, "{thread}: nothing after the fault ran");
        assert_eq!(run.state.total, 0, "{thread}");
    }

    let letters = graph.dead_letters().await.unwrap();
    let queued: Vec<(&str, &str, u32)> =
        letters.iter().map(|l| (l.thread.as_str(), l.node.as_str(), l.attempts)).collect();
    let mut expected: Vec<(&str, &str, u32)> = invalid.iter().map(|(t, _, node, _)| (*t, *node, 1)).collect();
    expected.sort();
    assert_eq!(queued, expected, "exactly the rejected payments are dead-lettered");
}

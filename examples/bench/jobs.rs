//! The jobs: W1 to W6 as the LangGraph benchmark defines them, the two limit
//! jobs (the store's flush floor and a hand-written loop), and the memory of
//! suspended threads. Each returns its JSON line; every output is verified.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use stategraph::prelude::*;

use crate::graphs::{Counter, chain, chain_names, counting, fanout, is_full_chain, looping, node_runs};
use crate::measure::{Latencies, Loops, Report, TIMED_LOOPS, ms, round, rss_mb};

/// A job's result.
pub(crate) type JobResult = Result<Value, Box<dyn Error>>;

/// How big the jobs are: the benchmark's full or quick sizes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    w1_runs: usize,
    w1_async_runs: usize,
    w1_async_in_flight: usize,
    w2_runs: usize,
    w3_runs: usize,
    w4_n: i64,
    w5_threads: usize,
    w6_threads: usize,
    w6_get_state_samples: usize,
    w6_history_samples: usize,
    s0_flushes: usize,
    m1_threads: usize,
}

impl Sizes {
    /// The full sizes.
    pub(crate) const FULL: Sizes = Sizes {
        w1_runs: 2000,
        w1_async_runs: 2000,
        w1_async_in_flight: 100,
        w2_runs: 500,
        w3_runs: 100,
        w4_n: 1000,
        w5_threads: 50,
        w6_threads: 5000,
        w6_get_state_samples: 200,
        w6_history_samples: 50,
        s0_flushes: 2000,
        m1_threads: 10_000,
    };

    /// The quick sizes.
    pub(crate) const QUICK: Sizes = Sizes {
        w1_runs: 200,
        w1_async_runs: 200,
        w1_async_in_flight: 100,
        w2_runs: 50,
        w3_runs: 10,
        w4_n: 100,
        w5_threads: 10,
        w6_threads: 500,
        w6_get_state_samples: 200,
        w6_history_samples: 50,
        s0_flushes: 200,
        m1_threads: 1000,
    };
}

/// Where a job keeps its stores.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// A fresh directory under `BENCH_TMPDIR` or the system's temp dir.
    pub(crate) fn new() -> Result<Self, Box<dyn Error>> {
        let parent = std::env::var_os("BENCH_TMPDIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        Ok(Self { dir: tempfile::Builder::new().prefix("stategraph-bench-").tempdir_in(parent)? })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A sled store named `name`.
    fn sled(&self, name: &str) -> Result<Arc<SledSaver>, Box<dyn Error>> {
        Ok(Arc::new(SledSaver::with_config(SledConfig::new(self.path(name)))?))
    }

    /// `graph`, on a sled store named `store` when there is one.
    fn subject(&self, graph: CompiledGraph<Counter>, store: Option<&str>) -> Result<Subject, Box<dyn Error>> {
        Ok(match store {
            Some(name) => {
                let saver = self.sled(name)?;
                Subject { graph: graph.with_shared_checkpointer(saver.clone()), saver: Some(saver) }
            }
            None => Subject { graph, saver: None },
        })
    }
}

/// A compiled graph and the sled store behind it, if any.
struct Subject {
    graph: CompiledGraph<Counter>,
    saver: Option<Arc<SledSaver>>,
}

/// A job: runs at `Sizes`, keeping its stores in the scratch directory, and
/// returns its JSON lines (one per workload and variant it measured).
pub(crate) type Job = fn(Sizes, &Scratch) -> Result<Vec<Value>, Box<dyn Error>>;

/// The jobs in order: (names for `--jobs`, one per line the job prints;
/// function).
pub(crate) const JOBS: &[(&[&str], Job)] = &[
    (&["W1/none"], |s, d| Ok(vec![w1_chain(s, d)?])),
    (&["W1/hand-written"], |s, d| Ok(vec![w1_hand_written(s, d)?])),
    (&["W1async/none"], |s, d| Ok(vec![w1_async(s, d)?])),
    (&["W2/memory"], |s, d| Ok(vec![w2_chain(s, d, Store::Memory)?])),
    // The flush floor bounds W2's durable-sync rate: the two are measured
    // in alternating sections of one process, so both see the same disk.
    (&["W2/sled", "S0/sled-flush"], w2_sync_beside_flush_floor),
    (&["W2/sled-async"], |s, d| Ok(vec![w2_chain(s, d, Store::Sled(Durability::Async))?])),
    (&["W2/sled-exit"], |s, d| Ok(vec![w2_chain(s, d, Store::Sled(Durability::Exit))?])),
    (&["W3/none"], |s, d| Ok(vec![w3_fanout(s, d, false)?])),
    (&["W3/sled"], |s, d| Ok(vec![w3_fanout(s, d, true)?])),
    (&["W4/none"], |s, d| Ok(vec![w4_loop(s, d, false)?])),
    (&["W4/sled"], |s, d| Ok(vec![w4_loop(s, d, true)?])),
    (&["W5/sled"], |s, d| Ok(vec![w5_resume(s, d)?])),
    (&["W6/sled"], |s, d| Ok(vec![w6_many_threads(s, d)?])),
    (&["M1/memory"], |s, d| Ok(vec![m1_suspended(s, d, false)?])),
    (&["M1/sled"], |s, d| Ok(vec![m1_suspended(s, d, true)?])),
];

/// The runtime of the sequential jobs: one thread, as one caller awaiting
/// one invocation at a time needs.
fn sequential() -> Result<tokio::runtime::Runtime, Box<dyn Error>> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

fn input() -> Counter {
    Counter::default()
}

/// Fails the job unless the user nodes ran exactly `expected` times since `before`.
fn check_runs(before: u64, expected: u64) -> Result<(), Box<dyn Error>> {
    let ran = node_runs() - before;
    if ran != expected {
        return Err(format!("user nodes ran {ran} times, expected {expected}").into());
    }
    Ok(())
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Box<dyn Error>> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// The store's figures for the report.
fn store_fields(report: Report, saver: &SledSaver) -> Result<Report, Box<dyn Error>> {
    let stats = saver.stats()?;
    Ok(report
        .with("checkpoint_blob_bytes", stats.written_bytes)
        .with("stored_bytes", stats.stored_bytes)
        .with("store_bytes", stats.size_on_disk)
        .with("flushes", stats.flushes))
}

fn w1_chain(sizes: Sizes, _: &Scratch) -> JobResult {
    let rt = sequential()?;
    let graph = chain(10).compile()?;
    let names = chain_names(10);
    let runs = sizes.w1_runs;
    rt.block_on(async {
        for _ in 0..20 {
            graph.invoke(input(), "warm").await?;
        }
        let baseline = rss_mb();
        let mut seconds = Vec::with_capacity(TIMED_LOOPS);
        for _ in 0..TIMED_LOOPS {
            let before = node_runs();
            let mut outs = Vec::with_capacity(runs);
            let t = Instant::now();
            for _ in 0..runs {
                outs.push(graph.invoke(input(), "w1").await?);
            }
            seconds.push(t.elapsed().as_secs_f64());
            check_runs(before, 10 * runs as u64)?;
            for out in &outs {
                check(out.is_completed() && is_full_chain(&out.state, &names), || {
                    format!("W1 output {:?}", out.state)
                })?;
            }
        }
        Ok(Loops::new(seconds)
            .report("W1_chain", "no-checkpointer", 10 * runs as u64)
            .with("invokes", runs)
            .with("durability", Value::Null)
            .with("runtime", "tokio current_thread")
            .memory(baseline)
            .into_json())
    })
}

/// The same ten updates per invocation by a plain loop: no graph, no engine.
fn w1_hand_written(sizes: Sizes, _: &Scratch) -> JobResult {
    let names = chain_names(10);
    let runs = sizes.w1_runs;
    let run = |names: &[String]| {
        let mut state = input();
        for name in names {
            let update = counting(&state, name);
            state.apply(update);
        }
        state
    };
    for _ in 0..20 {
        std::hint::black_box(run(&names));
    }
    let baseline = rss_mb();
    let mut seconds = Vec::with_capacity(TIMED_LOOPS);
    for _ in 0..TIMED_LOOPS {
        let mut outs = Vec::with_capacity(runs);
        let t = Instant::now();
        for _ in 0..runs {
            outs.push(run(std::hint::black_box(&names)));
        }
        seconds.push(t.elapsed().as_secs_f64());
        for out in &outs {
            check(is_full_chain(out, &names), || format!("hand-written output {out:?}"))?;
        }
    }
    Ok(Loops::new(seconds)
        .report("W1_chain", "hand-written", 10 * runs as u64)
        .with("invokes", runs)
        .with("note", "the W1 updates applied by a plain loop, no engine: the bound on any engine's step rate")
        .memory(baseline)
        .into_json())
}

/// W1 on a multi-thread runtime, `in_flight` invocations at a time.
fn w1_async(sizes: Sizes, _: &Scratch) -> JobResult {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let graph = Arc::new(chain(10).compile()?);
    let names = Arc::new(chain_names(10));
    let (runs, in_flight) = (sizes.w1_async_runs, sizes.w1_async_in_flight);
    rt.block_on(async {
        for _ in 0..20 {
            graph.invoke(input(), "warm").await?;
        }
        let (before, baseline) = (node_runs(), rss_mb());
        let permits = Arc::new(tokio::sync::Semaphore::new(in_flight));
        let t = Instant::now();
        let handles: Vec<_> = (0..runs)
            .map(|_| {
                let (graph, permits) = (Arc::clone(&graph), Arc::clone(&permits));
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
                    graph.invoke(input(), "w1").await
                })
            })
            .collect();
        let mut outs = Vec::with_capacity(runs);
        for handle in handles {
            outs.push(handle.await??);
        }
        let seconds = t.elapsed().as_secs_f64();
        check_runs(before, 10 * runs as u64)?;
        for out in &outs {
            check(is_full_chain(&out.state, &names), || format!("W1 async output {:?}", out.state))?;
        }
        Ok(Report::new("W1_chain_async", &format!("concurrency{in_flight}"), 10 * runs as u64, seconds)
            .with("invokes", runs)
            .with("concurrency", in_flight)
            .with("runtime", "tokio multi_thread (one worker per core), one spawned task per invocation")
            .memory(baseline)
            .into_json())
    })
}

#[derive(Clone, Copy)]
enum Store {
    Memory,
    Sled(Durability),
}

fn durability_name(durability: Durability) -> &'static str {
    match durability {
        Durability::Sync => "sync",
        Durability::Async => "async",
        Durability::Exit => "exit",
    }
}

fn w2_chain(sizes: Sizes, scratch: &Scratch, store: Store) -> JobResult {
    let rt = sequential()?;
    rt.block_on(async {
        w2_warm_up(scratch, store).await?;
        let subject = w2_subject(scratch, store, "w2")?;
        let threads: Vec<String> = (0..sizes.w2_runs).map(|i| format!("w2-{i}")).collect();
        let baseline = rss_mb();
        let seconds = w2_invoke(&subject.graph, &threads).await?;
        w2_report(store, &subject, sizes.w2_runs, seconds, baseline).await
    })
}

/// W2 with durable-sync sled, and the S0 flush floor that bounds it, in one
/// process: [`FLOOR_SECTIONS`] alternating sections, each a tenth of W2's
/// invocations then a tenth of S0's flushes. The disk of a small VM changes
/// speed for seconds at a time, so two jobs run apart would compare the
/// workload with whatever the disk did in each; interleaved, both figures
/// cover the same moments. Each figure is its own work over its own time.
fn w2_sync_beside_flush_floor(sizes: Sizes, scratch: &Scratch) -> Result<Vec<Value>, Box<dyn Error>> {
    let rt = sequential()?;
    let store = Store::Sled(Durability::Sync);
    rt.block_on(async {
        w2_warm_up(scratch, store).await?;
        flushes(&open_floor_db(&scratch.path("s0-warmup"))?, 50, "warm")?;
        let subject = w2_subject(scratch, store, "w2")?;
        let floor_db = open_floor_db(&scratch.path("s0"))?;
        let threads: Vec<String> = (0..sizes.w2_runs).map(|i| format!("w2-{i}")).collect();
        let baseline = rss_mb();
        let (mut w2_seconds, mut floor_seconds, mut latencies) = (0.0, 0.0, Vec::with_capacity(sizes.s0_flushes));
        for section in 0..FLOOR_SECTIONS {
            let share = |n: usize| n * section / FLOOR_SECTIONS..n * (section + 1) / FLOOR_SECTIONS;
            w2_seconds += w2_invoke(&subject.graph, &threads[share(sizes.w2_runs)]).await?;
            let count = share(sizes.s0_flushes).len();
            let t = Instant::now();
            latencies.extend(flushes(&floor_db, count, &format!("k{section}"))?);
            floor_seconds += t.elapsed().as_secs_f64();
        }
        let w2 = w2_report(store, &subject, sizes.w2_runs, w2_seconds, baseline).await?;
        let latencies = Latencies::new(latencies);
        let floor = Report::new("S0_store_flush_floor", "sled-flush", sizes.s0_flushes as u64, floor_seconds)
            .with("note", "steps = flushes (one insert of a 100-byte value, then Db::flush); not a graph workload; timed in sections alternating with W2 sled-sync's")
            .with("sections", FLOOR_SECTIONS)
            .with("flush_median_us", round(latencies.median().as_secs_f64() * 1e6, 1))
            .with("flush_p90_us", round(latencies.p90().as_secs_f64() * 1e6, 1))
            .memory(0.0)
            .into_json();
        Ok(vec![w2, floor])
    })
}

/// How many alternating sections W2 sled-sync and the flush floor share.
const FLOOR_SECTIONS: usize = 10;

/// Twenty invocations on a throw-away store, as the LangGraph benchmark warms up.
async fn w2_warm_up(scratch: &Scratch, store: Store) -> Result<(), Box<dyn Error>> {
    let warm = w2_subject(scratch, store, "w2-warmup")?.graph;
    for i in 0..20 {
        warm.invoke(input(), &format!("warm-{i}")).await?;
    }
    Ok(())
}

/// The W1 chain with `store`'s checkpointer, named `name` when it is sled.
fn w2_subject(scratch: &Scratch, store: Store, name: &str) -> Result<Subject, Box<dyn Error>> {
    let graph = chain(10).compile()?.with_durability(w2_durability(store));
    match store {
        Store::Memory => scratch.subject(graph.with_checkpointer(MemorySaver::new()), None),
        Store::Sled(_) => scratch.subject(graph, Some(name)),
    }
}

fn w2_durability(store: Store) -> Durability {
    match store {
        Store::Memory => Durability::Sync,
        Store::Sled(durability) => durability,
    }
}

/// Invokes `graph` once on each thread, in order; verifies every output and
/// returns the seconds the invocations took.
async fn w2_invoke(graph: &CompiledGraph<Counter>, threads: &[String]) -> Result<f64, Box<dyn Error>> {
    let names = chain_names(10);
    let before = node_runs();
    let mut outs = Vec::with_capacity(threads.len());
    let t = Instant::now();
    for thread in threads {
        outs.push(graph.invoke(input(), thread).await?);
    }
    let seconds = t.elapsed().as_secs_f64();
    check_runs(before, 10 * threads.len() as u64)?;
    for out in &outs {
        check(out.is_completed() && is_full_chain(&out.state, &names), || format!("W2 output {:?}", out.state))?;
    }
    Ok(seconds)
}

async fn w2_report(store: Store, subject: &Subject, runs: usize, seconds: f64, baseline: f64) -> JobResult {
    let durability = w2_durability(store);
    let variant = match store {
        Store::Memory => "memory-sync".to_owned(),
        Store::Sled(durability) => format!("sled-{}", durability_name(durability)),
    };
    let mut report = Report::new("W2_chain_checkpointed", &variant, 10 * runs as u64, seconds)
        .with("invokes", runs)
        .with("durability", durability_name(durability))
        .memory(baseline);
    if let Some(saver) = &subject.saver {
        saver.flush().await?;
        report = store_fields(report, saver)?;
    }
    Ok(report.into_json())
}

fn w3_fanout(sizes: Sizes, scratch: &Scratch, durable: bool) -> JobResult {
    let rt = sequential()?;
    let runs = sizes.w3_runs;
    let build = |name: &str| scratch.subject(fanout(100).compile()?, durable.then_some(name));
    let workers: std::collections::BTreeSet<String> = (0..100).map(|i| format!("w{i}")).collect();
    rt.block_on(async {
        {
            let warm = build("w3-warmup")?.graph;
            for i in 0..3 {
                warm.invoke(input(), &format!("warm-{i}")).await?;
            }
        }
        let Subject { graph, saver } = build("w3")?;
        let (before, baseline) = (node_runs(), rss_mb());
        let mut outs = Vec::with_capacity(runs);
        let t = Instant::now();
        for i in 0..runs {
            outs.push(graph.invoke(input(), &format!("w3-{i}")).await?);
        }
        let seconds = t.elapsed().as_secs_f64();
        check_runs(before, 102 * runs as u64)?;
        for out in &outs {
            let logged: std::collections::BTreeSet<String> = out.state.log.iter().cloned().collect();
            check(out.state.count == 100 && out.state.log.len() == 100 && logged == workers, || {
                format!("W3 output count {} log {:?}", out.state.count, out.state.log)
            })?;
        }
        let variant = if durable { "sled-sync" } else { "no-checkpointer" };
        let mut report = Report::new("W3_fanout", variant, 102 * runs as u64, seconds)
            .with("invokes", runs)
            .with("verified_len_log", 100)
            .with("first_log_entries", outs[0].state.log[..5].to_vec())
            .with("durability", if durable { Value::from("sync") } else { Value::Null })
            .memory(baseline);
        if let Some(saver) = &saver {
            saver.flush().await?;
            report = store_fields(report, saver)?;
        }
        Ok(report.into_json())
    })
}

fn w4_loop(sizes: Sizes, scratch: &Scratch, durable: bool) -> JobResult {
    let rt = sequential()?;
    let n = sizes.w4_n;
    let limit = n as u64 + 10;
    let build = |n: i64, name: &str| {
        scratch.subject(looping(n).compile()?.with_step_limit(n as u64 + 10), durable.then_some(name))
    };
    let valid =
        |out: &RunResult<Counter>| out.is_completed() && out.state.count == n && out.state.log.len() == n as usize;
    rt.block_on(async {
        {
            let warm = build(20, "w4-warmup")?.graph;
            warm.invoke(input(), "warm").await?;
        }
        let Subject { graph, saver } = build(n, "w4")?;
        let (before, baseline) = (node_runs(), rss_mb());
        let t = Instant::now();
        let out = graph.invoke(input(), "w4").await?;
        let seconds = t.elapsed().as_secs_f64();
        check_runs(before, n as u64)?;
        check(valid(&out), || format!("W4 output count {} len {}", out.state.count, out.state.log.len()))?;
        let variant = if durable { "sled-sync" } else { "no-checkpointer" };
        let mut report = Report::new("W4_loop", variant, n as u64, seconds)
            .with("N", n)
            .with("recursion_limit", limit)
            .with("durability", if durable { Value::from("sync") } else { Value::Null });
        if let Some(saver) = &saver {
            let t = Instant::now();
            let history = graph.history("w4", HistoryQuery::all()).await?;
            report = report.with("history_list_ms", ms(t.elapsed())).with("history_len", history.len());
            check(history.first().is_some_and(|s| s.values == out.state), || "W4 history head".into())?;
            saver.flush().await?;
            report = store_fields(report, saver)?;
        } else {
            // One run is short and noisy: five more, as bench.py times them.
            let mut repeats = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let again = graph.invoke(input(), "w4").await?;
                repeats.push(t.elapsed());
                check(valid(&again), || "W4 repeat output".into())?;
            }
            let median = Latencies::new(repeats.clone()).median();
            report = report
                .with("repeat_seconds", repeats.iter().map(|d| round(d.as_secs_f64(), 6)).collect::<Vec<_>>())
                .with("repeat_median_steps_per_sec", round(n as f64 / median.as_secs_f64(), 1));
        }
        Ok(report.memory(baseline).into_json())
    })
}

fn w5_resume(sizes: Sizes, scratch: &Scratch) -> JobResult {
    let rt = sequential()?;
    let names = chain_names(10);
    let build = |name: &str| -> Result<CompiledGraph<Counter>, Box<dyn Error>> {
        Ok(chain(10).interrupt_before(["n5"]).compile()?.with_shared_checkpointer(scratch.sled(name)?))
    };
    rt.block_on(async {
        {
            let warm = build("w5-warmup")?;
            for i in 0..5 {
                pause_and_resume(&warm, format!("warm-{i}"), &names).await?;
            }
        }
        let graph = build("w5")?;
        let threads = sizes.w5_threads;
        let (before, baseline) = (node_runs(), rss_mb());
        let (mut first, mut resume) = (Vec::new(), Vec::new());
        for i in 0..threads {
            let (a, b) = pause_and_resume(&graph, format!("w5-{i}"), &names).await?;
            first.push(a);
            resume.push(b);
        }
        check_runs(before, 10 * threads as u64)?;
        let (first, resume) = (Latencies::new(first), Latencies::new(resume));
        Ok(Report::new("W5_resume", "sled-sync", 5 * threads as u64, resume.total().as_secs_f64())
            .with("note", "steps/seconds cover only the resume calls (n5..n9 per thread)")
            .with("threads", threads)
            .with("durability", "sync")
            .with("resume_median_ms", ms(resume.median()))
            .with("resume_p90_ms", ms(resume.p90()))
            .with("resume_min_ms", ms(resume.min()))
            .with("resume_mean_ms", ms(resume.mean()))
            .with("to_interrupt_median_ms", ms(first.median()))
            .memory(baseline)
            .into_json())
    })
}

/// One W5 thread: runs to the interrupt before `n5` (timed), checks the
/// paused state (not timed), resumes to the end (timed).
async fn pause_and_resume(
    graph: &CompiledGraph<Counter>,
    thread: String,
    names: &[String],
) -> Result<(Duration, Duration), Box<dyn Error>> {
    let t = Instant::now();
    let first = graph.invoke(input(), &thread).await?;
    let to_interrupt = t.elapsed();
    check(first.interrupts().len() == 1, || format!("W5 {thread}: {:?}", first.outcome))?;
    let snapshot = graph.state(&thread).await?;
    check(snapshot.next == ["n5"] && snapshot.values.count == 5, || format!("W5 {thread} paused"))?;
    let t = Instant::now();
    let out = graph.resume(&thread, Resume::new()).await?;
    let resume = t.elapsed();
    check(out.is_completed() && is_full_chain(&out.state, names), || format!("W5 {thread} resumed"))?;
    Ok((to_interrupt, resume))
}

/// Python's `random.Random(12345).randrange` is not reproduced; a fixed
/// xorshift draws the sampled threads instead (uniform, deterministic).
struct Draws(u64);

impl Draws {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn w6_many_threads(sizes: Sizes, scratch: &Scratch) -> JobResult {
    let rt = sequential()?;
    let names = chain_names(3);
    let threads = sizes.w6_threads;
    rt.block_on(async {
        {
            let warm = chain(3).compile()?.with_shared_checkpointer(scratch.sled("w6-warmup")?);
            for i in 0..20 {
                warm.invoke(input(), &format!("warm-{i}")).await?;
            }
            warm.state("warm-0").await?;
            warm.history("warm-0", HistoryQuery::all()).await?;
        }
        let saver = scratch.sled("w6")?;
        let graph = chain(3).compile()?.with_shared_checkpointer(saver.clone());
        let ids: Vec<String> = (0..threads).map(|i| format!("w6-{i}")).collect();
        let (before, baseline) = (node_runs(), rss_mb());
        let mut outs = Vec::with_capacity(threads);
        let t = Instant::now();
        for id in &ids {
            outs.push(graph.invoke(input(), id).await?);
        }
        let seconds = t.elapsed().as_secs_f64();
        check_runs(before, 3 * threads as u64)?;
        for out in &outs {
            check(is_full_chain(&out.state, &names), || format!("W6 output {:?}", out.state))?;
        }
        let mut draws = Draws(12345);
        let mut get_state = Vec::new();
        for _ in 0..sizes.w6_get_state_samples {
            let id = &ids[draws.below(threads)];
            let t = Instant::now();
            let snapshot = graph.state(id).await?;
            get_state.push(t.elapsed());
            check(snapshot.values.count == 3 && snapshot.next.is_empty(), || format!("W6 state of {id}"))?;
        }
        let id = &ids[draws.below(threads)];
        let mut history = Vec::new();
        let mut len = 0;
        for _ in 0..sizes.w6_history_samples {
            let t = Instant::now();
            let listed = graph.history(id, HistoryQuery::all()).await?;
            history.push(t.elapsed());
            len = listed.len();
        }
        let (get_state, history) = (Latencies::new(get_state), Latencies::new(history));
        let report = Report::new("W6_many_threads", "sled-sync", 3 * threads as u64, seconds)
            .with("threads", threads)
            .with("durability", "sync")
            .with("get_state_samples", sizes.w6_get_state_samples)
            .with("get_state_median_ms", ms(get_state.median()))
            .with("get_state_p90_ms", ms(get_state.p90()))
            .with("history_samples", sizes.w6_history_samples)
            .with("history_len", len)
            .with("history_list_median_ms", ms(history.median()))
            .with("history_list_p90_ms", ms(history.p90()))
            .memory(baseline);
        saver.flush().await?;
        Ok(store_fields(report, &saver)?.into_json())
    })
}

/// The raw rate of one small sled insert plus flush on this disk, with the
/// store's own sled settings: no sync-durable step can beat it.
/// The flush floor's database: sled as [`SledSaver`] configures it.
fn open_floor_db(path: &Path) -> sled::Result<sled::Db> {
    sled::Config::new().path(path).cache_capacity(64 << 20).flush_every_ms(Some(500)).open()
}

/// `count` times: one insert of a 100-byte value under a fresh key, then
/// `Db::flush`; returns each pair's latency.
fn flushes(db: &sled::Db, count: usize, prefix: &str) -> Result<Vec<Duration>, sled::Error> {
    let payload = [b'x'; 100];
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let t = Instant::now();
        db.insert(format!("{prefix}-{i}"), &payload[..])?;
        db.flush()?;
        latencies.push(t.elapsed());
    }
    Ok(latencies)
}

/// Memory per suspended thread: `m1_threads` runs of the W1 chain, each
/// stopped before `n5` for a human, all waiting at once; then a sample of
/// them resumed to completion, to show they are whole.
fn m1_suspended(sizes: Sizes, scratch: &Scratch, durable: bool) -> JobResult {
    let rt = sequential()?;
    let names = chain_names(10);
    let threads = sizes.m1_threads;
    rt.block_on(async {
        let graph = chain(10).interrupt_before(["n5"]).compile()?;
        let saver = if durable { Some(scratch.sled("m1")?) } else { None };
        let graph = match &saver {
            Some(saver) => graph.with_shared_checkpointer(saver.clone()),
            None => graph.with_checkpointer(MemorySaver::new()),
        };
        graph.invoke(input(), "warm").await?;
        let baseline = rss_mb();
        let t = Instant::now();
        for i in 0..threads {
            let paused = graph.invoke(input(), &format!("m1-{i}")).await?;
            check(paused.interrupts().len() == 1, || format!("M1 thread {i} did not stop"))?;
        }
        let seconds = t.elapsed().as_secs_f64();
        let waiting = rss_mb();
        let per_thread = (waiting - baseline) * 1024.0 * 1024.0 / threads as f64;
        for i in (0..threads).step_by((threads / 100).max(1)) {
            let out = graph.resume(&format!("m1-{i}"), Resume::new()).await?;
            check(is_full_chain(&out.state, &names), || format!("M1 thread {i} resumed"))?;
        }
        let variant = if durable { "sled-sync" } else { "memory-sync" };
        let mut report = Report::new("M1_suspended_threads", variant, 5 * threads as u64, seconds)
            .with("threads", threads)
            .with("rss_while_waiting_mb", round(waiting, 1))
            .with("rss_per_waiting_thread_bytes", round(per_thread.max(0.0), 0))
            .with("note", "RSS growth while every thread waits for a human, divided by the threads; no task or future is kept per waiting thread")
            .memory(baseline);
        if let Some(saver) = &saver {
            saver.flush().await?;
            let stats = saver.stats()?;
            report = report
                .with("stored_bytes_per_waiting_thread", stats.stored_bytes / threads as u64)
                .with("store_bytes", stats.size_on_disk);
        }
        Ok(report.into_json())
    })
}

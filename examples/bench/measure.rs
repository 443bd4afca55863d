//! What a job measures about itself: memory from `/proc/self/status`,
//! latency summaries, and the JSON line it prints.

use std::time::Duration;

use serde_json::{Map, Value, json};

/// The process's resident set now (`VmRSS`), in MiB; 0 off Linux.
pub(crate) fn rss_mb() -> f64 {
    status_kib("VmRSS:") / 1024.0
}

/// The process's peak resident set (`VmHWM`), in MiB; 0 off Linux.
pub(crate) fn peak_rss_mb() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

fn status_kib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0.0)
}

/// Milliseconds, rounded as the Python benchmark rounds them.
pub(crate) fn ms(d: Duration) -> f64 {
    round(d.as_secs_f64() * 1000.0, 4)
}

/// Rounds to `places` decimals.
pub(crate) fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

/// Median, p90, min and mean of latency samples.
pub(crate) struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    /// Summarises `samples` (at least one).
    pub(crate) fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        assert!(!samples.is_empty(), "no latency samples");
        Self { sorted: samples }
    }

    /// The median (the mean of the middle two for an even count, as Python's
    /// `statistics.median`).
    pub(crate) fn median(&self) -> Duration {
        let n = self.sorted.len();
        if n % 2 == 1 { self.sorted[n / 2] } else { (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2 }
    }

    /// The 90th percentile, picked as bench.py picks it.
    pub(crate) fn p90(&self) -> Duration {
        let n = self.sorted.len();
        let index = ((0.9 * (n - 1) as f64).round() as usize).min(n - 1);
        self.sorted[index]
    }

    /// The smallest sample.
    pub(crate) fn min(&self) -> Duration {
        self.sorted[0]
    }

    /// The mean.
    pub(crate) fn mean(&self) -> Duration {
        self.sorted.iter().sum::<Duration>() / self.sorted.len() as u32
    }

    /// The sum of all samples.
    pub(crate) fn total(&self) -> Duration {
        self.sorted.iter().sum()
    }
}

/// How many times the W1 jobs run their timed section. One section of W1
/// lasts about 25 ms (the hand-written loop 3 ms), short enough that a
/// fresh process's first one swings by up to 40 % (cold caches, heap still
/// growing); the median of five is steady. Every section's output is verified.
pub(crate) const TIMED_LOOPS: usize = 5;

/// The seconds of repeated timed sections (at least one).
pub(crate) struct Loops {
    seconds: Vec<f64>,
}

impl Loops {
    /// The sections' times, in the order they ran.
    pub(crate) fn new(seconds: Vec<f64>) -> Self {
        assert!(!seconds.is_empty(), "no timed loops");
        Self { seconds }
    }

    /// The median section's seconds: what `steps_per_sec` reports.
    pub(crate) fn median(&self) -> f64 {
        let mut sorted = self.seconds.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
    }

    /// The report for `steps` per section, its rate from the median section,
    /// with every section's time and the first section's rate beside it.
    pub(crate) fn report(&self, workload: &str, variant: &str, steps: u64) -> Report {
        Report::new(workload, variant, steps, self.median())
            .with("loop_seconds", self.seconds.iter().map(|s| round(*s, 6)).collect::<Vec<_>>())
            .with("first_loop_steps_per_sec", round(steps as f64 / self.seconds[0], 1))
    }
}

/// One job's result line: the common fields, then the job's own.
pub(crate) struct Report {
    fields: Map<String, Value>,
}

impl Report {
    /// `steps` user-node executions in `seconds` of the timed section.
    pub(crate) fn new(workload: &str, variant: &str, steps: u64, seconds: f64) -> Self {
        let mut fields = Map::new();
        fields.insert("workload".into(), json!(workload));
        fields.insert("variant".into(), json!(variant));
        fields.insert("steps".into(), json!(steps));
        fields.insert("seconds".into(), json!(round(seconds, 6)));
        let rate = if seconds > 0.0 { Some(round(steps as f64 / seconds, 1)) } else { None };
        fields.insert("steps_per_sec".into(), json!(rate));
        let ns = if steps > 0 { Some(round(seconds * 1e9 / steps as f64, 1)) } else { None };
        fields.insert("ns_per_step".into(), json!(ns));
        Self { fields }
    }

    /// Adds a field.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }

    /// Adds the memory figures: `baseline` taken before the timed section,
    /// the peak now.
    pub(crate) fn memory(self, baseline_mb: f64) -> Self {
        self.with("baseline_rss_mb", round(baseline_mb, 1)).with("peak_rss_mb", round(peak_rss_mb(), 1))
    }

    /// The line.
    pub(crate) fn into_json(self) -> Value {
        Value::Object(self.fields)
    }
}

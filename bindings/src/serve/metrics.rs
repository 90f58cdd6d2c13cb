//! Counters and latency histograms of the webhook sidecar, rendered in the
//! Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
//!
//! Invariant: recording never blocks on rendering for long and never
//! allocates on the per-hook path (fixed arrays of atomics indexed by
//! [`Hook`]); per-script series live in a map keyed by script and hook,
//! filled by the engine's call observer.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `oxilua_vmq_webhook_requests_total` | counter | `hook`, `result` (`ok`, `next`, `error`; notification hooks count as `ok`) |
//! | `oxilua_vmq_webhook_errors_total` | counter | `hook`, `reason` (the `{"error": ...}` value) |
//! | `oxilua_vmq_webhook_duration_seconds` | histogram | `hook` |
//! | `oxilua_vmq_webhook_bad_requests_total` | counter | `reason` |
//! | `oxilua_vmq_webhook_in_flight` | gauge | |
//! | `oxilua_vmq_script_calls_total` | counter | `script`, `hook`, `outcome` |
//! | `oxilua_vmq_script_duration_seconds` | histogram | `script`, `hook` |
//! | `oxilua_vmq_scripts_loaded` | gauge | |
//! | `oxilua_vmq_script_load_errors` | gauge | |
//! | `oxilua_vmq_reloads_total` | counter | `result` (`ok`, `kept_old`) |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use crate::hooks::{Hook, HookResult};

/// Upper bounds (seconds) of the latency buckets; `+Inf` is implicit.
pub const BUCKETS: [f64; 16] =
    [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// A latency histogram (cumulative only when rendered).
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cum = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cum += self.buckets[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {cum}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

const RESULTS: [&str; 3] = ["ok", "next", "error"];

#[derive(Default)]
struct HookStats {
    results: [AtomicU64; 3],
    latency: Histogram,
}

#[derive(Default)]
struct ScriptStats {
    /// Outcome name → calls.
    outcomes: BTreeMap<String, u64>,
    latency: Histogram,
}

/// See [`Metrics::in_flight`].
pub struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// Why a request was refused before reaching the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BadRequest {
    MissingHookHeader,
    UnknownHook,
    InvalidJson,
    InvalidBody,
    TooLarge,
    WrongMethod,
    NotFound,
}

impl BadRequest {
    pub const ALL: [BadRequest; 7] = [
        BadRequest::MissingHookHeader,
        BadRequest::UnknownHook,
        BadRequest::InvalidJson,
        BadRequest::InvalidBody,
        BadRequest::TooLarge,
        BadRequest::WrongMethod,
        BadRequest::NotFound,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BadRequest::MissingHookHeader => "missing_hook_header",
            BadRequest::UnknownHook => "unknown_hook",
            BadRequest::InvalidJson => "invalid_json",
            BadRequest::InvalidBody => "invalid_body",
            BadRequest::TooLarge => "too_large",
            BadRequest::WrongMethod => "wrong_method",
            BadRequest::NotFound => "not_found",
        }
    }
}

/// Everything `GET /metrics` shows.
pub struct Metrics {
    hooks: [HookStats; Hook::ALL.len()],
    errors: Mutex<BTreeMap<(Hook, String), u64>>,
    bad: [AtomicU64; BadRequest::ALL.len()],
    in_flight: AtomicI64,
    scripts: Mutex<BTreeMap<(String, Hook), ScriptStats>>,
    scripts_loaded: AtomicU64,
    load_errors: AtomicU64,
    reloads: [AtomicU64; 2],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn hook_index(h: Hook) -> usize {
    Hook::ALL.iter().position(|x| *x == h).unwrap_or(0)
}

/// Escape a label value (`\`, `"` and newlines).
fn label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            hooks: std::array::from_fn(|_| HookStats::default()),
            errors: Mutex::new(BTreeMap::new()),
            bad: std::array::from_fn(|_| AtomicU64::new(0)),
            in_flight: AtomicI64::new(0),
            scripts: Mutex::new(BTreeMap::new()),
            scripts_loaded: AtomicU64::new(0),
            load_errors: AtomicU64::new(0),
            reloads: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// One answered webhook request.
    pub fn record_hook(&self, hook: Hook, result: &HookResult, elapsed: Duration) {
        let st = &self.hooks[hook_index(hook)];
        let r = match result {
            // notification hooks answer `{}` whatever the scripts do
            _ if hook.is_notification() => 0,
            HookResult::Ok | HookResult::OkModifiers(_) => 0,
            HookResult::Next => 1,
            HookResult::Error(e) => {
                let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
                *errors.entry((hook, e.name().to_string())).or_default() += 1;
                2
            }
        };
        st.results[r].fetch_add(1, Relaxed);
        st.latency.observe(elapsed);
    }

    /// One script's part of a hook call (from the engine's observer).
    pub fn record_script(&self, script: &str, hook: Hook, outcome: &str, elapsed: Duration) {
        let mut scripts = self.scripts.lock().unwrap_or_else(|e| e.into_inner());
        let st = scripts.entry((script.to_string(), hook)).or_default();
        *st.outcomes.entry(outcome.to_string()).or_default() += 1;
        st.latency.observe(elapsed);
    }

    pub fn record_bad_request(&self, why: BadRequest) {
        let i = BadRequest::ALL.iter().position(|b| *b == why).unwrap_or(0);
        self.bad[i].fetch_add(1, Relaxed);
    }

    /// Count a request in flight until the guard is dropped (also when
    /// the request's future is dropped because the client went away).
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Relaxed);
        InFlight(&self.in_flight)
    }

    pub fn set_scripts(&self, loaded: usize, errors: usize) {
        self.scripts_loaded.store(loaded as u64, Relaxed);
        self.load_errors.store(errors as u64, Relaxed);
    }

    pub fn record_reload(&self, swapped: bool) {
        self.reloads[usize::from(!swapped)].fetch_add(1, Relaxed);
    }

    /// Requests answered for `hook` with `result` (`ok`, `next`, `error`).
    pub fn hook_count(&self, hook: Hook, result: &str) -> u64 {
        RESULTS.iter().position(|r| *r == result).map_or(0, |i| self.hooks[hook_index(hook)].results[i].load(Relaxed))
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        out.push_str("# HELP oxilua_vmq_webhook_requests_total Webhook requests answered, by hook and result.\n");
        out.push_str("# TYPE oxilua_vmq_webhook_requests_total counter\n");
        for (i, h) in Hook::ALL.iter().enumerate() {
            for (r, name) in RESULTS.iter().enumerate() {
                let n = self.hooks[i].results[r].load(Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "oxilua_vmq_webhook_requests_total{{hook=\"{h}\",result=\"{name}\"}} {n}");
                }
            }
        }
        out.push_str(
            "# HELP oxilua_vmq_webhook_errors_total Webhook requests answered with {\"result\":{\"error\":...}}, by hook and reason.\n",
        );
        out.push_str("# TYPE oxilua_vmq_webhook_errors_total counter\n");
        {
            let errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
            for ((h, reason), n) in errors.iter() {
                let _ = writeln!(out, "oxilua_vmq_webhook_errors_total{{hook=\"{h}\",reason=\"{}\"}} {n}", label(reason));
            }
        }
        out.push_str("# HELP oxilua_vmq_webhook_duration_seconds Time from the request body read to the response, by hook.\n");
        out.push_str("# TYPE oxilua_vmq_webhook_duration_seconds histogram\n");
        for (i, h) in Hook::ALL.iter().enumerate() {
            if self.hooks[i].latency.count() > 0 {
                self.hooks[i].latency.render(&mut out, "oxilua_vmq_webhook_duration_seconds", &format!("hook=\"{h}\""));
            }
        }
        out.push_str("# HELP oxilua_vmq_webhook_bad_requests_total Requests refused with a 4xx status, by reason.\n");
        out.push_str("# TYPE oxilua_vmq_webhook_bad_requests_total counter\n");
        for (i, b) in BadRequest::ALL.iter().enumerate() {
            let _ = writeln!(out, "oxilua_vmq_webhook_bad_requests_total{{reason=\"{}\"}} {}", b.name(), self.bad[i].load(Relaxed));
        }
        out.push_str("# HELP oxilua_vmq_webhook_in_flight Webhook requests being answered.\n");
        out.push_str("# TYPE oxilua_vmq_webhook_in_flight gauge\n");
        let _ = writeln!(out, "oxilua_vmq_webhook_in_flight {}", self.in_flight.load(Relaxed));
        {
            let scripts = self.scripts.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str("# HELP oxilua_vmq_script_calls_total Hook function calls per script, by outcome.\n");
            out.push_str("# TYPE oxilua_vmq_script_calls_total counter\n");
            for ((script, h), st) in scripts.iter() {
                for (outcome, n) in &st.outcomes {
                    let _ = writeln!(
                        out,
                        "oxilua_vmq_script_calls_total{{script=\"{}\",hook=\"{h}\",outcome=\"{}\"}} {n}",
                        label(script),
                        label(outcome)
                    );
                }
            }
            out.push_str("# HELP oxilua_vmq_script_duration_seconds Hook function call time per script (waiting for a state included).\n");
            out.push_str("# TYPE oxilua_vmq_script_duration_seconds histogram\n");
            for ((script, h), st) in scripts.iter() {
                st.latency.render(&mut out, "oxilua_vmq_script_duration_seconds", &format!("script=\"{}\",hook=\"{h}\"", label(script)));
            }
        }
        out.push_str("# HELP oxilua_vmq_scripts_loaded Scripts serving hooks.\n");
        out.push_str("# TYPE oxilua_vmq_scripts_loaded gauge\n");
        let _ = writeln!(out, "oxilua_vmq_scripts_loaded {}", self.scripts_loaded.load(Relaxed));
        out.push_str("# HELP oxilua_vmq_script_load_errors Scripts that failed to load (last load or reload).\n");
        out.push_str("# TYPE oxilua_vmq_script_load_errors gauge\n");
        let _ = writeln!(out, "oxilua_vmq_script_load_errors {}", self.load_errors.load(Relaxed));
        out.push_str("# HELP oxilua_vmq_reloads_total Reloads (SIGHUP): ok = new versions serving, kept_old = a script failed and its old version kept serving.\n");
        out.push_str("# TYPE oxilua_vmq_reloads_total counter\n");
        let _ = writeln!(out, "oxilua_vmq_reloads_total{{result=\"ok\"}} {}", self.reloads[0].load(Relaxed));
        let _ = writeln!(out, "oxilua_vmq_reloads_total{{result=\"kept_old\"}} {}", self.reloads[1].load(Relaxed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut s = String::new();
        h.render(&mut s, "x", "hook=\"a\"");
        assert!(s.contains("x_bucket{hook=\"a\",le=\"0.00005\"} 1\n"), "{s}");
        assert!(s.contains("x_bucket{hook=\"a\",le=\"0.005\"} 2\n"), "{s}");
        assert!(s.contains("x_bucket{hook=\"a\",le=\"5\"} 2\n"), "{s}");
        assert!(s.contains("x_bucket{hook=\"a\",le=\"+Inf\"} 3\n"), "{s}");
        assert!(s.contains("x_count{hook=\"a\"} 3\n"), "{s}");
    }

    #[test]
    fn labels_are_escaped() {
        let m = Metrics::new();
        m.record_script("a\"b\\c\nd.lua", Hook::OnPublish, "ok", Duration::from_millis(1));
        let s = m.render();
        assert!(s.contains("script=\"a\\\"b\\\\c\\nd.lua\""), "{s}");
    }
}

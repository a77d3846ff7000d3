//! Prometheus metrics, in the text exposition format, from a small hand-written registry
//! (integers only: latencies are kept in microseconds and printed as seconds).
//!
//! * `billing_http_requests_total{method,route,status}`
//! * `billing_http_request_duration_seconds{method,route}` (histogram)
//! * `billing_credit_debits_total{outcome}`: `succeeded`, `insufficient_credits`, `rejected`
//! * `billing_uptime_seconds`

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Histogram bucket upper bounds, in microseconds.
const BUCKETS_US: [u64; 12] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    5_000_000,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

/// The process's metrics.
pub struct Metrics {
    inner: Mutex<Inner>,
    debits_ok: AtomicU64,
    debits_insufficient: AtomicU64,
    debits_rejected: AtomicU64,
    started: Instant,
}

/// The outcome of a debit, for `billing_credit_debits_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebitOutcome {
    /// Charged (or an idempotent repeat).
    Succeeded,
    /// 402.
    InsufficientCredits,
    /// Any other error.
    Rejected,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Seconds with up to six decimals, from microseconds, without floats.
fn seconds(us: u64) -> String {
    let frac = format!("{:06}", us % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", us / 1_000_000)
    } else {
        format!("{}.{frac}", us / 1_000_000)
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            inner: Mutex::default(),
            debits_ok: AtomicU64::new(0),
            debits_insufficient: AtomicU64::new(0),
            debits_rejected: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Records one finished HTTP request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *inner
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let h = inner
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        h.count += 1;
        h.sum_us = h.sum_us.saturating_add(us);
        for (i, le) in BUCKETS_US.iter().enumerate() {
            if us <= *le {
                h.buckets[i] += 1;
            }
        }
    }

    /// Records a debit's outcome.
    pub fn observe_debit(&self, outcome: DebitOutcome) {
        let c = match outcome {
            DebitOutcome::Succeeded => &self.debits_ok,
            DebitOutcome::InsufficientCredits => &self.debits_insufficient,
            DebitOutcome::Rejected => &self.debits_rejected,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.push_str("# HELP billing_http_requests_total HTTP requests by method, route and status.\n# TYPE billing_http_requests_total counter\n");
        for ((m, r, s), n) in &inner.requests {
            let _ = writeln!(
                out,
                "billing_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(r)
            );
        }
        out.push_str("# HELP billing_http_request_duration_seconds HTTP request latency.\n# TYPE billing_http_request_duration_seconds histogram\n");
        for ((m, r), h) in &inner.latency {
            let r = escape(r);
            for (i, le) in BUCKETS_US.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "billing_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{}\"}} {}",
                    seconds(*le),
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "billing_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "billing_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}",
                seconds(h.sum_us)
            );
            let _ = writeln!(
                out,
                "billing_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {}",
                h.count
            );
        }
        drop(inner);
        out.push_str("# HELP billing_credit_debits_total Credit debits by outcome.\n# TYPE billing_credit_debits_total counter\n");
        for (label, c) in [
            ("succeeded", &self.debits_ok),
            ("insufficient_credits", &self.debits_insufficient),
            ("rejected", &self.debits_rejected),
        ] {
            let _ = writeln!(
                out,
                "billing_credit_debits_total{{outcome=\"{label}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP billing_uptime_seconds Seconds since start.\n# TYPE billing_uptime_seconds gauge\nbilling_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::new();
        m.observe_request(
            "GET",
            "/v1/accounts/{id}",
            200,
            Duration::from_micros(1_200),
        );
        m.observe_debit(DebitOutcome::InsufficientCredits);
        let text = m.render();
        assert!(text.contains("billing_http_requests_total{method=\"GET\",route=\"/v1/accounts/{id}\",status=\"200\"} 1"));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"0.001\"} 0"));
        assert!(text.contains("billing_credit_debits_total{outcome=\"insufficient_credits\"} 1"));
        assert_eq!(seconds(1_500_000), "1.5");
        assert_eq!(seconds(5_000_000), "5");
    }
}

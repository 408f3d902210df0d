//! What the SmartHR and KING OF TIME clients share: the token wrapper, the pacing and retry
//! limits, one error type for both services, and the request loop that applies them.
//!
//! The two services differ only in how their error bodies look, so each client hands the
//! transport a classifier for its own error shape and everything else is common.

mod error;
mod pace;
mod transport;

pub use error::{ApiError, ErrorKind};
pub use pace::{Budget, Pause};
pub use transport::human;
pub(crate) use transport::{Attempts, Call, Transport};

/// Where a client tells a person about a wait or a retry as it happens ("retrying in 2 s"),
/// so that a slow run never looks like a hang. Set with each client's `on_notice`.
pub type Notice = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

use chrono::{NaiveDate, TimeDelta, Utc};
use std::fmt;
use std::time::Duration;

/// An access token. Kept out of every Debug/Display so that printing a client, a config or an
/// error can never leak it; only the transport reads it, to build the `Authorization` header.
/// Every token is registered with [`crate::redact`] when it is made, so that a server echoing
/// it back (in a body, a header or a URL) cannot carry it to the screen either.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        crate::redact::register(&token);
        Secret(token)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(token: String) -> Self {
        Secret::new(token)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How hard a client may push a service, and how long it keeps trying.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The pace requests start at, spaced evenly; the limiter then adapts it to what the
    /// server accepts (see `pace.rs`). `None` sends unpaced until the first refusal.
    pub requests_per_second: Option<f64>,
    /// Retries after the first attempt, for errors that are worth repeating.
    pub max_retries: usize,
    /// First backoff delay; it doubles per retry up to `max_backoff`, plus random jitter of up
    /// to the same again so that parallel runs do not retry in lockstep.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Whole-request timeout (connect, send, and read the answer).
    pub timeout: Duration,
    /// A rate-limited answer that asks for a longer wait than this is reported instead of
    /// waited out, so that an exhausted hourly budget does not hang a run silently.
    pub max_rate_limit_wait: Duration,
    /// Connection failures (nothing was sent) are retried for at most this long in all, so
    /// that an unreachable host is reported in seconds rather than looking like a hang.
    pub connect_budget: Duration,
}

impl Limits {
    /// SmartHR documents 10 requests/second per token; 8 leaves room for clock skew.
    pub fn smarthr_default() -> Self {
        Limits {
            requests_per_second: Some(8.0),
            max_retries: 5,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(120),
            connect_budget: Duration::from_secs(10),
        }
    }

    /// KOT's limit is unpublished; about one request per second is the common advice, and its
    /// single-array employee list can be slow for large companies, hence the long timeout.
    pub fn kot_default() -> Self {
        Limits {
            requests_per_second: Some(1.0),
            max_retries: 5,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
            max_rate_limit_wait: Duration::from_secs(300),
            connect_budget: Duration::from_secs(10),
        }
    }

    /// No pacing and short backoffs: for the simulators in tests and benchmarks only.
    pub fn unlimited() -> Self {
        Limits {
            requests_per_second: None,
            max_retries: 3,
            min_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            timeout: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(10),
            connect_budget: Duration::from_millis(300),
        }
    }
}

/// Today in Japan, where both services live: "before today" for a resignation date and the
/// default roster date mean the Japanese calendar day, whatever the machine's time zone.
pub(crate) fn today_jst() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(9)).date_naive()
}

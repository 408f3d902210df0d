//! The dashboard's "before you start" checks (issue 17 §1): whether each service answers an
//! authenticated read with its configured token right now, and whether the rules folder loads
//! and passes its own rule tests.
//!
//! Each check costs a request per service and a run of the rule tests, so the answer is kept
//! for [`FRESH`] and shared by every page view; a stale answer is refreshed on a thread of its
//! own and waited for at most [`WAIT`], so that a slow or unreachable service never makes the
//! dashboard slow. The checks never keep or show a token: only whether it was accepted.

use super::core;
use crate::config::{Config, ConfigError};
use crate::http::{ApiError, ErrorKind, Limits};
use crate::{kot, smarthr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a check's answer is shown before it is made again.
pub const FRESH: Duration = Duration::from_secs(30);
/// How long a page view waits for a check under way before it shows the previous answer (or
/// "checking").
pub const WAIT: Duration = Duration::from_secs(2);
/// A check is one request, not retried, that gives up after this long: a service that does not
/// answer in time is shown as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// How a service answered the check. The errors are kept as data, so that each page says them
/// in its language.
#[derive(Debug, Clone)]
pub enum Reach {
    /// It answered a read with the configured token.
    Ok,
    /// No usable token is configured (the configuration error, which names the variable).
    NoToken(Arc<ConfigError>),
    /// It refused the token (401 or 403).
    TokenRefused,
    /// KING OF TIME is in its access window, when it refuses every read: not checked.
    InAccessWindow,
    /// No answer: the network, the address or a timeout.
    Unreachable(ApiError),
    /// Any other failure.
    Failed(ApiError),
}

impl From<Result<(), ApiError>> for Reach {
    fn from(result: Result<(), ApiError>) -> Reach {
        let Err(e) = result else {
            return Reach::Ok;
        };
        match e.kind {
            _ if e.is_auth() => Reach::TokenRefused,
            _ if e.is_access_window() => Reach::InAccessWindow,
            ErrorKind::Unreachable { .. }
            | ErrorKind::Timeout { .. }
            | ErrorKind::Interrupted { .. } => Reach::Unreachable(e),
            _ => Reach::Failed(e),
        }
    }
}

/// What the rule tests said about the configured rules folder.
#[derive(Debug, Clone, PartialEq)]
pub enum RulesState {
    /// The rules (or their tests) could not be read or compiled: the problems.
    Broken(Vec<crate::rules::Problem>),
    /// Every case ran: how many passed, and "file: case" for each that failed.
    Tested { passed: usize, failed: Vec<String> },
}

/// One round of checks.
#[derive(Debug, Clone)]
pub struct Checks {
    pub smarthr: Reach,
    pub kot: Reach,
    /// The rules folder and its state; `None` when none is configured.
    pub rules: Option<(String, RulesState)>,
    pub at: Instant,
}

/// The latest checks, shared by every page view.
#[derive(Default)]
pub struct Health(Arc<Shared>);

#[derive(Default)]
struct Shared {
    latest: watch::Sender<Option<Arc<Checks>>>,
    refreshing: AtomicBool,
}

impl Health {
    /// The checks at most [`FRESH`] old if there are some; otherwise starts them and waits up
    /// to [`WAIT`], then gives the previous answer (`None` before the first one is in).
    pub async fn get(&self, config: &Config) -> Option<Arc<Checks>> {
        let mut news = self.0.latest.subscribe();
        let now = news.borrow_and_update().clone();
        if now.as_ref().is_some_and(|c| c.at.elapsed() < FRESH) {
            return now;
        }
        self.refresh(config);
        match tokio::time::timeout(WAIT, news.changed()).await {
            Ok(Ok(())) => news.borrow().clone(),
            _ => now,
        }
    }

    /// Starts a round of checks unless one is under way.
    fn refresh(&self, config: &Config) {
        if self.0.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (config, done) = (config.clone(), Refreshing(self.0.clone()));
        tokio::spawn(async move {
            let checks = check(&config).await;
            done.0.latest.send_replace(Some(Arc::new(checks)));
            drop(done);
        });
    }
}

/// A round of checks under way: the next may start once it is dropped, whether it ended with
/// an answer or its thread could not run it.
struct Refreshing(Arc<Shared>);

impl Drop for Refreshing {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
    }
}

/// One request, not retried, within [`CHECK_TIMEOUT`].
fn quick(default: Limits) -> Limits {
    Limits {
        max_retries: 0,
        timeout: CHECK_TIMEOUT,
        connect_budget: CHECK_TIMEOUT,
        ..default
    }
}

/// Runs every check: one cheap authenticated read per service (its offices), and the rule
/// tests.
pub async fn check(config: &Config) -> Checks {
    let smarthr = async {
        let token = match config.smarthr.token("SmartHR") {
            Ok(t) => t,
            Err(e) => return Reach::NoToken(Arc::new(e)),
        };
        let limits = quick(Limits::smarthr_default());
        let read = match smarthr::Client::new(&config.smarthr.base_url, token, limits) {
            Ok(client) => client.list_biz_establishments().await.map(drop),
            Err(e) => Err(e),
        };
        Reach::from(read)
    };
    let kot = async {
        let token = match config.kot.token("KING OF TIME") {
            Ok(t) => t,
            Err(e) => return Reach::NoToken(Arc::new(e)),
        };
        // KOT refuses every read in its access window: asking then proves nothing.
        if core::window_now(config).is_some() {
            return Reach::InAccessWindow;
        }
        let limits = quick(Limits::kot_default());
        let read = match kot::Client::new(&config.kot.base_url, token, limits) {
            Ok(client) => client.list_divisions().await.map(drop),
            Err(e) => Err(e),
        };
        Reach::from(read)
    };
    let (smarthr, kot) = tokio::join!(smarthr, kot);
    Checks {
        smarthr,
        kot,
        rules: rules(config),
        at: Instant::now(),
    }
}

/// Loads the configured rules and runs the tests beside them (`crewsync rules test`).
fn rules(config: &Config) -> Option<(String, RulesState)> {
    let dir = config.rules.as_ref()?;
    let report = crate::rules::run_tests(dir);
    let state = if report.problems.is_empty() {
        RulesState::Tested {
            passed: report.passed(),
            failed: report
                .cases
                .iter()
                .filter(|c| !c.passed())
                .map(|c| format!("{}: {}", c.file, c.name))
                .collect(),
        }
    } else {
        RulesState::Broken(report.problems)
    };
    Some((dir.display().to_string(), state))
}

//! The YAML configuration file.
//!
//! Tokens never live in the file: it names the environment variables that hold them, so the
//! file can be committed and shared. Unknown keys are errors, because a misspelt key that is
//! silently ignored is how a sync ends up writing to the wrong place.

use crate::email::NotifyConfig;
use crate::error::{Diagnostic, Location, Refused, Remedy};
use crate::plan::saved::Tenant;
use crate::window::{Window, WindowError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_PATH: &str = "crewsync.yaml";
pub const DEFAULT_KOT_BASE_URL: &str = "https://api.kingtime.jp/v1.0";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not YAML, or not the documented keys: `message` is the YAML parser's, `location`
    /// where in the file it stopped.
    #[error("{path}: {message}")]
    Parse {
        path: PathBuf,
        message: String,
        location: Option<Location>,
    },
    #[error("{path}: {problem}")]
    Invalid {
        path: PathBuf,
        problem: ConfigProblem,
    },
    #[error(
        "the environment variable {var} is not set; it must hold the {service} access token (the token itself never goes in the config file)"
    )]
    MissingToken { var: String, service: &'static str },
    /// Set, but to nothing (or only spaces): an `export VAR=` whose value went missing, which
    /// "not set" would send the person looking in the wrong place.
    #[error(
        "the environment variable {var} is set but empty; it must hold the {service} access token (check the line that sets it)"
    )]
    EmptyToken { var: String, service: &'static str },
    /// Set to bytes that are not text (not UTF-8): a token is printable ASCII, so the variable
    /// was set from the wrong source (a binary file, another encoding). Not "not set", which
    /// would send the person looking for a missing `export`.
    #[error(
        "the environment variable {var} is set, but not to valid text (its bytes are not UTF-8); it must hold the {service} access token (check the line that sets it)"
    )]
    NotTextToken { var: String, service: &'static str },
    /// A token that cannot go into an `Authorization` header: a pasted line break, a tab, a
    /// non-ASCII character. Said before any request, which would otherwise fail as if the
    /// connection had broken. The token itself is never shown.
    #[error(
        "the environment variable {var} holds a character no {service} access token has ({what} at character {position}); check the line that sets it, e.g. for a pasted line break"
    )]
    BadToken {
        var: String,
        service: &'static str,
        what: String,
        position: usize,
    },
}

/// A value in the configuration that parses as YAML but cannot be used; each names the key
/// and the value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    #[error(
        "smarthr.base_url is missing: set it to your tenant's API URL, e.g. https://acme.smarthr.jp/api"
    )]
    MissingBaseUrl,
    #[error("base_url '{0}' is not an http(s) URL (e.g. https://acme.smarthr.jp/api)")]
    BadUrl(String),
    #[error("requests_per_second must be a positive number (at most about 1.8e308), not {0}")]
    BadRate(f64),
    #[error("connect_budget_seconds must be a positive number of seconds, not {0}")]
    BadConnectBudget(f64),
    /// `key` must be a number of `unit`s from 0 to `max`: negative, or too large.
    #[error("{key} must be a number of {unit} from 0 to {max}, not {value}{}", if *value > *max { " (too large)" } else { "" })]
    BadSpan {
        key: &'static str,
        unit: &'static str,
        value: f64,
        max: f64,
    },
    /// A whole number outside what `key` takes: `range` says it in words (e.g. "from 1 to
    /// 3600").
    #[error("{key} must be a whole number {range}, not {value}")]
    OutOfRange {
        key: &'static str,
        range: &'static str,
        value: u64,
    },
    /// `token_env` names no environment variable (empty, or with a space or `=`, which no
    /// variable name has): said before any request, where it would read as a missing token.
    #[error(
        "{service}.token_env{} is '{name}', which is not an environment variable name: name the variable that holds the token, e.g. {default}, or leave the key out for that default",
        line.map(|l| format!(" (line {l})")).unwrap_or_default()
    )]
    BadTokenEnv {
        /// `smarthr` or `kot`, the section of the file.
        service: &'static str,
        name: String,
        default: &'static str,
        /// The line of the key in the file, when it is found there.
        line: Option<usize>,
    },
    #[error("maintenance_windows: {0}")]
    Window(#[from] WindowError),
    #[error("notify: {0}")]
    Notify(#[from] crate::email::NotifyError),
}

impl Diagnostic for ConfigError {
    fn location(&self) -> Option<Location> {
        match self {
            ConfigError::Parse { location, .. } => location.clone(),
            ConfigError::Invalid {
                path,
                problem: ConfigProblem::BadTokenEnv { line, .. },
            } => line.map(|line| Location {
                file: path.clone(),
                line: Some(line),
                column: None,
            }),
            _ => None,
        }
    }
    fn value(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid {
                problem: ConfigProblem::BadUrl(url),
                ..
            } => Some(url),
            ConfigError::Invalid {
                problem: ConfigProblem::Window(WindowError(w)),
                ..
            } => Some(w),
            ConfigError::Invalid {
                problem: ConfigProblem::BadTokenEnv { name, .. },
                ..
            } => Some(name),
            _ => None,
        }
    }
    fn remedy(&self) -> Option<Remedy> {
        match self {
            ConfigError::Read { path, .. } => Some(Remedy::ConfigFile(path.clone())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub base_url: Option<String>,
    pub token_env: Option<String>,
    /// Requests per second the client allows itself; omit for the service's documented pace.
    #[serde(default, deserialize_with = "number")]
    pub requests_per_second: Option<f64>,
    /// How often a failed request (5xx, 429, connection) is tried again.
    pub max_retries: Option<usize>,
    /// Seconds within which connection failures (nothing sent) are retried, in all.
    #[serde(default, deserialize_with = "number")]
    pub connect_budget_seconds: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    smarthr: ServiceConfig,
    kot: Option<ServiceConfig>,
    maintenance_windows: Option<Vec<String>>,
    history: Option<PathBuf>,
    rules: Option<PathBuf>,
    notify: Option<NotifyConfig>,
    max_changes: Option<MaxChanges>,
    window_poll_seconds: Option<u64>,
    /// Minutes, fractions allowed.
    #[serde(default, deserialize_with = "number")]
    max_wait_minutes: Option<f64>,
    /// Hours, fractions allowed.
    #[serde(default, deserialize_with = "number")]
    plan_max_age_hours: Option<f64>,
    circuit_breaker: Option<CircuitBreakerConfig>,
}

/// A number of the file, fractions allowed: a whole number too large for 64 bits
/// (`99999999999999999999`) and a float too large for one (`1e400`) are read as their value or
/// infinity, so that the key's own range check says they are too large, where serde would
/// name a Rust type.
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct Number;
    impl serde::de::Visitor<'_> for Number {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i128<E>(self, v: i128) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u128<E>(self, v: u128) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            // YAML leaves a number beyond a float's range (`1e400`) as text.
            match v.trim().parse::<f64>() {
                Ok(n) if n.is_infinite() => Ok(Some(n)),
                _ => Err(E::invalid_type(serde::de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(Number)
}

/// `circuit_breaker:` in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CircuitBreakerConfig {
    consecutive_failures: Option<usize>,
}

/// Employees in a row failing with the same server-side error that stop an apply, unless the
/// configuration says otherwise: enough that one bad record or a blip does not stop a run.
pub const DEFAULT_CIRCUIT_BREAKER: usize = 3;

/// The most writes one apply may make before it refuses without `--force`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxChanges {
    Count(usize),
    Percent(f64),
}

impl MaxChanges {
    /// The `max_changes` guard: refuses `changes` ([`crate::apply::weight`] of a selection)
    /// beyond what `max` allows of a roster of `roster` rows; no `max`, no limit.
    pub fn guard(max: Option<MaxChanges>, changes: usize, roster: usize) -> Result<(), Refused> {
        match max.map(|m| m.limit(roster)) {
            Some(limit) if changes > limit => Err(Refused::TooManyChanges {
                changes,
                limit,
                roster,
            }),
            _ => Ok(()),
        }
    }
}

impl<'de> Deserialize<'de> for MaxChanges {
    /// A count (`50`) or a percentage of the roster (`"10%"`); anything else is named in the
    /// error, which an untagged enum would not do.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(usize),
            // Any other number (negative, a fraction), to be quoted in the error.
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Count(n)) => Ok(MaxChanges::Count(n)),
            Ok(Raw::Number(n)) => Err(serde::de::Error::custom(format!(
                "max_changes {n} is neither a count from 0 up (e.g. 50) nor a percentage (e.g. \"10%\")"
            ))),
            Ok(Raw::Text(s)) => s
                .trim()
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|n| (0.0..=100.0).contains(n))
                .map(MaxChanges::Percent)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "max_changes '{s}' is neither a count (e.g. 50) nor a percentage (e.g. \"10%\")"
                    ))
                }),
            Err(_) => Err(serde::de::Error::custom(
                "max_changes must be a count (e.g. 50) or a percentage (e.g. \"10%\")",
            )),
        }
    }
}

impl MaxChanges {
    /// The largest number of writes allowed for a roster of `roster` employees.
    pub fn limit(self, roster: usize) -> usize {
        match self {
            MaxChanges::Count(n) => n,
            MaxChanges::Percent(p) => ((roster as f64) * p / 100.0).floor() as usize,
        }
    }
}

/// One service's connection settings with the token already read from the environment.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub token_env: String,
    pub requests_per_second: Option<f64>,
    pub max_retries: Option<usize>,
    /// How long connection failures are retried in all before the error
    /// (`connect_budget_seconds`; `None`: the service's default, 10 s).
    pub connect_budget: Option<std::time::Duration>,
    /// A token handed over in-process (the demo's simulators) instead of read from the
    /// environment; never read from the file.
    pub token_given: Option<crate::http::Secret>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub smarthr: Endpoint,
    pub kot: Endpoint,
    pub maintenance_windows: Vec<Window>,
    pub history: PathBuf,
    pub rules: Option<PathBuf>,
    pub notify: Option<NotifyConfig>,
    pub max_changes: Option<MaxChanges>,
    /// With `--wait`, how often to try KOT again after a refusal the configured windows do not
    /// explain.
    pub window_poll: std::time::Duration,
    /// With `--wait`, the most one run waits for KOT's access windows in all, start and
    /// mid-run together (`max_wait_minutes`, default [`DEFAULT_MAX_WAIT_MINUTES`]).
    pub max_wait: std::time::Duration,
    /// The oldest saved plan `apply --plan` writes (`plan_max_age_hours`, default
    /// [`DEFAULT_PLAN_MAX_AGE_HOURS`]): the older a plan, the more of its rows are stale.
    pub plan_max_age: std::time::Duration,
    /// `circuit_breaker.consecutive_failures`: stop an apply after this many employees in a
    /// row fail with the same server-side error; 0 never stops.
    pub circuit_breaker: usize,
}

/// Written here rather than beside [`Tenant`] so that `plan` does not depend on `config`
/// (which depends, through `email` and `history`, on `plan`).
impl Tenant {
    /// The services `config` connects to, as a saved plan records them (base URLs only).
    pub fn of(config: &Config) -> Tenant {
        Tenant {
            smarthr: config.smarthr.base_url.clone(),
            kot: config.kot.base_url.clone(),
        }
    }
}

/// A day: a plan saved in the evening is applied by the next evening's run at the latest.
pub const DEFAULT_PLAN_MAX_AGE_HOURS: f64 = 24.0;

/// Long enough for KOT's longest default window (08:30–10:00) plus a clock a little behind;
/// short enough that a window that never closes ends the night's run, reported.
pub const DEFAULT_MAX_WAIT_MINUTES: f64 = 120.0;

/// The longest `max_wait_minutes`: a day. A wait longer than that is a typo, and would keep
/// a nightly run from ending before the next one starts.
pub const MAX_WAIT_MINUTES_LIMIT: f64 = 24.0 * 60.0;

/// The oldest `plan_max_age_hours` allows: a year. An older plan is stale throughout.
pub const PLAN_MAX_AGE_HOURS_LIMIT: f64 = 365.0 * 24.0;

/// `window_poll_seconds`: at least a second (0 would ask KOT again in a tight loop), at most
/// an hour (longer outlasts KOT's longest access window).
pub const WINDOW_POLL_SECONDS: std::ops::RangeInclusive<u64> = 1..=3600;

/// `max_retries`: past a few dozen tries a failing request is not coming back, and each try
/// costs the service's request budget.
pub const MAX_RETRIES_LIMIT: usize = 50;

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses the file's text; relative paths inside it are relative to the file itself, so a
    /// cron job and a person at a shell see the same history.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let parse_err = |e: serde_yaml_ng::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: crate::error::plain_serde(&e.to_string()),
            location: e.location().map(|l| Location {
                file: path.to_path_buf(),
                line: Some(l.line()),
                column: Some(l.column()),
            }),
        };
        // The YAML first: a file cut short (`smarthr: [1,2`) is said as such, where reading
        // it straight into the configuration's shape would name the shape it does not fit.
        serde_yaml_ng::from_str::<serde::de::IgnoredAny>(text).map_err(parse_err)?;
        let raw: RawConfig = serde_yaml_ng::from_str(text).map_err(parse_err)?;
        let invalid = |problem: ConfigProblem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let relative = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };

        let smarthr_url = raw
            .smarthr
            .base_url
            .clone()
            .ok_or_else(|| invalid(ConfigProblem::MissingBaseUrl))?;
        let kot = raw.kot.unwrap_or(ServiceConfig {
            base_url: None,
            token_env: None,
            requests_per_second: None,
            max_retries: None,
            connect_budget_seconds: None,
        });
        let endpoint = |s: &ServiceConfig,
                        url: String,
                        service: &'static str,
                        env: &'static str|
         -> Result<Endpoint, ConfigError> {
            check_url(&url).map_err(&invalid)?;
            if let Some(name) = &s.token_env
                && (name.is_empty()
                    || name.contains(|c: char| c == '=' || c.is_whitespace() || c.is_control()))
            {
                return Err(invalid(ConfigProblem::BadTokenEnv {
                    service,
                    name: name.clone(),
                    default: env,
                    line: key_line(text, service, "token_env"),
                }));
            }
            if let Some(r) = s.requests_per_second
                && !(r > 0.0 && r.is_finite())
            {
                return Err(invalid(ConfigProblem::BadRate(r)));
            }
            if let Some(n) = s.max_retries
                && n > MAX_RETRIES_LIMIT
            {
                return Err(invalid(ConfigProblem::OutOfRange {
                    key: "max_retries",
                    range: "from 0 to 50",
                    value: n as u64,
                }));
            }
            let connect_budget = s
                .connect_budget_seconds
                .map(|secs| {
                    std::time::Duration::try_from_secs_f64(secs)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .ok_or_else(|| invalid(ConfigProblem::BadConnectBudget(secs)))
                })
                .transpose()?;
            Ok(Endpoint {
                base_url: url.trim_end_matches('/').to_string(),
                token_env: s.token_env.clone().unwrap_or_else(|| env.to_string()),
                requests_per_second: s.requests_per_second,
                max_retries: s.max_retries,
                connect_budget,
                token_given: None,
            })
        };
        let windows = raw
            .maintenance_windows
            .unwrap_or_else(|| vec!["08:30-10:00".into(), "17:30-18:30".into()])
            .iter()
            .map(|w| w.parse::<Window>())
            .collect::<Result<Vec<_>, WindowError>>()
            .map_err(|e| invalid(e.into()))?;
        if let Some(n) = &raw.notify {
            n.validate().map_err(|e| invalid(e.into()))?;
        }
        Ok(Config {
            path: path.to_path_buf(),
            smarthr: endpoint(&raw.smarthr, smarthr_url, "smarthr", "SMARTHR_ACCESS_TOKEN")?,
            kot: endpoint(
                &kot,
                kot.base_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KOT_BASE_URL.into()),
                "kot",
                "KOT_ACCESS_TOKEN",
            )?,
            maintenance_windows: windows,
            history: relative(raw.history.unwrap_or_else(|| "crewsync.db".into())),
            rules: raw.rules.map(relative),
            notify: raw.notify,
            max_changes: raw.max_changes,
            window_poll: match raw.window_poll_seconds.unwrap_or(60) {
                secs if WINDOW_POLL_SECONDS.contains(&secs) => std::time::Duration::from_secs(secs),
                value => {
                    return Err(invalid(ConfigProblem::OutOfRange {
                        key: "window_poll_seconds",
                        range: "of seconds from 1 to 3600",
                        value,
                    }));
                }
            },
            max_wait: span(
                "max_wait_minutes",
                raw.max_wait_minutes.unwrap_or(DEFAULT_MAX_WAIT_MINUTES),
                ("minutes", 60.0, MAX_WAIT_MINUTES_LIMIT),
            )
            .map_err(&invalid)?,
            plan_max_age: span(
                "plan_max_age_hours",
                raw.plan_max_age_hours.unwrap_or(DEFAULT_PLAN_MAX_AGE_HOURS),
                ("hours", 3600.0, PLAN_MAX_AGE_HOURS_LIMIT),
            )
            .map_err(&invalid)?,
            circuit_breaker: raw
                .circuit_breaker
                .and_then(|c| c.consecutive_failures)
                .unwrap_or(DEFAULT_CIRCUIT_BREAKER),
        })
    }
}

/// A span configured as a number of `unit`s (`(name, seconds, most)`), fractions allowed; a
/// negative number, or one above `most`, is an error naming the key, the value and the range.
fn span(
    key: &'static str,
    value: f64,
    unit: (&'static str, f64, f64),
) -> Result<std::time::Duration, ConfigProblem> {
    let (name, seconds, most) = unit;
    (0.0..=most)
        .contains(&value)
        .then(|| std::time::Duration::try_from_secs_f64(value * seconds).ok())
        .flatten()
        .ok_or(ConfigProblem::BadSpan {
            key,
            unit: name,
            value,
            max: most,
        })
}

fn check_url(url: &str) -> Result<(), ConfigProblem> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(ConfigProblem::BadUrl(url.to_string()))
    }
}

/// The line (from 1) of `key:` in the block-style `section:` of a configuration's text, for an
/// error about a value serde has already taken apart (and so no longer knows the place of).
fn key_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    lines.find(|(_, l)| l.trim_end().strip_prefix(section) == Some(":"))?;
    lines
        .take_while(|(_, l)| l.trim().is_empty() || l.starts_with([' ', '\t', '#']))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|(i, _)| i + 1)
}

impl Endpoint {
    /// Reads the token from the environment at the last moment, so it is never stored in any
    /// structure that might be printed.
    pub fn token(&self, service: &'static str) -> Result<crate::http::Secret, ConfigError> {
        if let Some(t) = &self.token_given {
            return Ok(t.clone());
        }
        match std::env::var(&self.token_env) {
            Ok(t) if !t.trim().is_empty() => {
                let t = t.trim();
                // Tokens are printable ASCII: whatever else is there was pasted by mistake.
                match t.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
                    Some((i, c)) => Err(ConfigError::BadToken {
                        var: self.token_env.clone(),
                        service,
                        what: match c {
                            '\n' | '\r' => "a line break".to_string(),
                            ' ' => "a space".to_string(),
                            c => format!("U+{:04X}", u32::from(c)),
                        },
                        position: i + 1,
                    }),
                    None => Ok(crate::http::Secret::new(t.to_string())),
                }
            }
            Ok(_) => Err(ConfigError::EmptyToken {
                var: self.token_env.clone(),
                service,
            }),
            Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::NotTextToken {
                var: self.token_env.clone(),
                service,
            }),
            Err(std::env::VarError::NotPresent) => Err(ConfigError::MissingToken {
                var: self.token_env.clone(),
                service,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/crewsync/crewsync.yaml"), text)
    }

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let c = parse("smarthr:\n  base_url: https://acme.smarthr.jp/api/\n").unwrap();
        assert_eq!(c.smarthr.base_url, "https://acme.smarthr.jp/api");
        assert_eq!(c.smarthr.token_env, "SMARTHR_ACCESS_TOKEN");
        assert_eq!(c.kot.base_url, DEFAULT_KOT_BASE_URL);
        assert_eq!(c.kot.token_env, "KOT_ACCESS_TOKEN");
        assert_eq!(c.maintenance_windows.len(), 2);
        assert_eq!(c.history, PathBuf::from("/etc/crewsync/crewsync.db"));
    }

    /// An empty `token_env` is the file's mistake, said with its key and line, not a "blank"
    /// environment variable that is not set.
    #[test]
    fn a_token_env_that_names_no_variable_is_a_configuration_error() {
        let text = "smarthr:\n  base_url: https://a.smarthr.jp/api\n\nkot:\n  # the token\n  token_env: \"\"\n";
        let e = parse(text).unwrap_err();
        let message = e.to_string();
        assert!(
            message.starts_with("/etc/crewsync/crewsync.yaml: kot.token_env (line 6) is ''"),
            "{message}"
        );
        assert!(message.contains("KOT_ACCESS_TOKEN"), "{message}");
        assert_eq!(e.location().and_then(|l| l.line), Some(6));
        let e = parse("smarthr:\n  base_url: https://a.smarthr.jp/api\n  token_env: MY TOKEN\n")
            .unwrap_err();
        assert_eq!(e.value(), Some("MY TOKEN"));
        assert!(e.to_string().contains("smarthr.token_env (line 3)"), "{e}");
        let named = "smarthr:\n  base_url: https://a.smarthr.jp/api\n  token_env: MY_TOKEN\n";
        assert_eq!(parse(named).unwrap().smarthr.token_env, "MY_TOKEN");
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_it() {
        let err = parse("smarthr:\n  base_url: https://a.smarthr.jp/api\n  tokn_env: X\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tokn_env"), "{err}");
    }

    #[test]
    fn max_changes_takes_a_count_or_a_percentage() {
        let c = parse("smarthr: {base_url: 'https://a/api'}\nmax_changes: '10%'\n").unwrap();
        assert_eq!(c.max_changes.unwrap().limit(250), 25);
        let c = parse("smarthr: {base_url: 'https://a/api'}\nmax_changes: 7\n").unwrap();
        assert_eq!(c.max_changes.unwrap().limit(250), 7);
        let err = parse("smarthr: {base_url: 'https://a/api'}\nmax_changes: lots\n").unwrap_err();
        assert!(err.to_string().contains("max_changes"), "{err}");
    }

    /// Every error about a value names its key, the value and what the key takes, in plain
    /// words: no Rust type name, no "0 or more" for a value that is too large.
    #[test]
    fn a_bad_number_is_said_with_its_key_value_and_range() {
        let base = "smarthr: {base_url: 'https://a/api'}\n";
        for (extra, said) in [
            (
                "circuit_breaker: {consecutive_failures: -1}\n",
                &["consecutive_failures", "-1", "a whole number from 0 up"][..],
            ),
            (
                "max_changes: -3\n",
                &["max_changes -3", "a count from 0 up"][..],
            ),
            (
                "plan_max_age_hours: 1e308\n",
                &["plan_max_age_hours", "from 0 to 8760", "too large"][..],
            ),
            (
                "max_wait_minutes: 99999999999999999999\n",
                &["max_wait_minutes", "from 0 to 1440", "too large"][..],
            ),
            (
                "max_wait_minutes: -1\n",
                &["max_wait_minutes", "from 0 to 1440", "not -1"][..],
            ),
            (
                "window_poll_seconds: 0\n",
                &["window_poll_seconds", "from 1 to 3600", "not 0"][..],
            ),
            (
                "kot: {max_retries: 100000000000}\n",
                &["max_retries", "from 0 to 50", "not 100000000000"][..],
            ),
        ] {
            let err = parse(&format!("{base}{extra}")).unwrap_err().to_string();
            for words in said {
                assert!(err.contains(words), "{extra}: {words:?} not in: {err}");
            }
            for rust in ["usize", "u64", "f64", "struct "] {
                assert!(!err.contains(rust), "{extra}: a Rust type in: {err}");
            }
        }
        let err = parse("smarthr: {base_url: 'https://a/api', requests_per_second: 1e400}\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("requests_per_second") && !err.contains("f64"),
            "{err}"
        );
        // Cut short: said as YAML that does not close, not as a shape it does not fit.
        let err = parse("smarthr: [1,2\n").unwrap_err().to_string();
        assert!(
            !err.contains("ServiceConfig") && !err.contains("struct"),
            "{err}"
        );
    }

    #[test]
    fn the_connect_budget_is_seconds_and_must_be_positive() {
        let c =
            parse("smarthr: {base_url: 'https://a/api', connect_budget_seconds: 2.5}\n").unwrap();
        assert_eq!(
            c.smarthr.connect_budget,
            Some(std::time::Duration::from_millis(2500))
        );
        assert_eq!(c.kot.connect_budget, None);
        for bad in ["0", "-1"] {
            let err = parse(&format!(
                "smarthr: {{base_url: 'https://a/api'}}\nkot: {{connect_budget_seconds: {bad}}}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(
                err.contains("connect_budget_seconds") && err.contains(bad),
                "{err}"
            );
        }
    }

    #[test]
    fn an_empty_window_list_turns_the_guard_off() {
        let c = parse("smarthr: {base_url: 'https://a/api'}\nmaintenance_windows: []\n").unwrap();
        assert!(c.maintenance_windows.is_empty());
        let err =
            parse("smarthr: {base_url: 'https://a/api'}\nmaintenance_windows: ['8:30-25:00']\n")
                .unwrap_err();
        assert!(err.to_string().contains("25:00"), "{err}");
    }
}

use super::pace::{Budget, Pacer, TooLong};
use super::{ApiError, ErrorKind, Limits, Notice, Secret};
use crate::model::Service;
use crate::model::json::excerpt;
use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::future::Future;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The first pause after a refusal that named no reset (KOT's 303 sends none).
const FIRST_UNKNOWN_PAUSE: Duration = Duration::from_millis(250);

/// The `tracing` target of the request log (`--verbose`, `RUST_LOG=crewsync::http=debug`).
const LOG: &str = "crewsync::http";

/// The most a body's announced length reserves ahead (bytes): a length beyond any real answer
/// is not trusted with an allocation; a longer body still grows as it comes.
const PRESIZE_MAX: u64 = 256 << 20;

/// Turns a non-success answer (status, headers, body text with any token scrubbed) into an
/// error kind. Each service supplies its own, since their error bodies differ.
pub(crate) type Classify = fn(StatusCode, &HeaderMap, &str) -> ErrorKind;

/// Whether a request is repeated on retryable errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempts {
    /// For a request that is itself one attempt inside an outer retry loop.
    Once,
    WithRetries,
}

/// One request to send.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<&'a Value>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, url: Url) -> Self {
        Call {
            method,
            url,
            query: Vec::new(),
            body: None,
        }
    }

    pub fn query(mut self, name: &'a str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: &'a Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A successful answer, read in full.
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// One service's HTTP connection: base URL, token, the adaptive limiter every request goes
/// through, and the retry loop.
pub(crate) struct Transport {
    service: Service,
    http: reqwest::Client,
    base: Url,
    token: Secret,
    limits: Limits,
    pacer: Pacer,
    classify: Classify,
    notice: RwLock<Option<Notice>>,
}

impl Transport {
    pub fn new(
        service: Service,
        base_url: &str,
        token: Secret,
        limits: Limits,
        classify: Classify,
    ) -> Result<Self, ApiError> {
        let config = |detail: String| ApiError::new(service, ErrorKind::Config { detail });
        let base = Url::parse(base_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| {
                config(format!(
                    "base_url '{}' is not an http(s) URL; use e.g. {}",
                    public_url(base_url),
                    service.example_base_url()
                ))
            })?;
        if let Some(rps) = limits.requests_per_second
            && !(rps.is_finite() && rps > 0.0)
        {
            return Err(config(format!(
                "requests_per_second is {rps}; it must be a positive number"
            )));
        }
        // A refusal that names no reset is first paused briefly: a per-second window is never
        // more than a second from its reset, and the pause doubles while refusals repeat.
        let pacer = Pacer::new(
            limits.requests_per_second,
            limits.min_backoff.min(FIRST_UNKNOWN_PAUSE),
            limits.max_backoff,
            limits.max_rate_limit_wait,
        );
        // A redirect is never followed: it would carry the request (and, on the same host,
        // the token) somewhere the configuration does not name. It is reported instead.
        let http = reqwest::Client::builder()
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config(format!("the HTTP client could not be set up: {e}")))?;
        Ok(Transport {
            service,
            http,
            base,
            token,
            limits,
            pacer,
            classify,
            notice: RwLock::new(None),
        })
    }

    /// Where waits and retries are told as they happen (besides the request log).
    pub fn on_notice(&self, notice: Notice) {
        *self.notice.write().unwrap_or_else(|e| e.into_inner()) = Some(notice);
    }

    fn notify(&self, message: &str) {
        tracing::info!(target: LOG, service = self.service.display_name(), "{message}");
        if let Some(notice) = self
            .notice
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            notice(message);
        }
    }

    /// The request budget the service reported last, when it reports one over a window
    /// longer than a second (SmartHR's hourly budget, if it exists).
    pub fn budget(&self) -> Option<Budget> {
        self.pacer.budget()
    }

    /// How long the service stays paused, as it changes: see [`super::Pause`].
    pub fn pause(&self) -> super::Pause {
        self.pacer.pause()
    }

    /// How long a request may wait for the budget to come back (or a long reset) before it
    /// fails instead: raised by `apply --wait` to pace across the window.
    pub fn set_max_wait(&self, wait: Duration) {
        self.pacer.set_max_wait(wait);
    }

    pub fn error(&self, kind: ErrorKind) -> ApiError {
        ApiError::new(self.service, kind)
    }

    pub fn malformed(&self, detail: impl Into<String>) -> ApiError {
        self.error(ErrorKind::Malformed {
            detail: detail.into(),
        })
    }

    /// The base URL with path segments appended, each percent-encoded, so that an employee code
    /// containing `/` or `?` stays one segment.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether a URL the server handed us (a paging link) may receive the token: only on the
    /// host and port the configuration names.
    pub fn is_same_origin(&self, url: &Url) -> bool {
        url.origin() == self.base.origin()
    }

    /// [`Transport::send`] for a list endpoint: a 404 there cannot mean a missing record, only
    /// a base URL that does not point at the Web API, and the error says so.
    pub async fn send_list(&self, call: &Call<'_>, attempts: Attempts) -> Result<Reply, ApiError> {
        self.send(call, attempts).await.map_err(|e| match e.kind {
            ErrorKind::NotFound { .. } => self.error(ErrorKind::WrongBaseUrl {
                url: public_url(call.url.as_str()),
                base_url: public_url(self.base.as_str()),
            }),
            _ => e,
        })
    }

    pub async fn send(&self, call: &Call<'_>, attempts: Attempts) -> Result<Reply, ApiError> {
        match attempts {
            Attempts::Once => self.send_once(call).await,
            Attempts::WithRetries => self.retry(|| self.send_once(call)).await,
        }
    }

    /// One attempt: wait for the limiter, send, read the whole answer, tell the limiter how
    /// it went, log it, classify failures.
    pub async fn send_once(&self, call: &Call<'_>) -> Result<Reply, ApiError> {
        let waited = self
            .pacer
            .admit()
            .await
            .map_err(|too_long| self.error(self.too_long(too_long)))?;
        let started = Instant::now();
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(self.token.expose())
            .query(&call.query);
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let answer = async {
            let mut response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            // Read into one buffer sized from the announced length, chunk by chunk: collecting
            // the chunks first and then copying them into one buffer would hold a long roster
            // (KOT answers with every employee at once) twice.
            let announced = response.content_length().unwrap_or(0).min(PRESIZE_MAX);
            let mut body = Vec::with_capacity(announced as usize);
            while let Some(chunk) = response.chunk().await? {
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let (status, headers, body) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let err = self.transport_error(&call.url, &e);
                tracing::debug!(
                    target: LOG,
                    service = self.service.display_name(),
                    method = %call.method,
                    url = %log_url(call),
                    ms = started.elapsed().as_millis() as u64,
                    waited_ms = waited.as_millis() as u64,
                    "no answer: {err}"
                );
                return Err(err);
            }
        };
        let log = |outcome: &str| {
            tracing::debug!(
                target: LOG,
                service = self.service.display_name(),
                method = %call.method,
                url = %log_url(call),
                status = status.as_u16(),
                ms = started.elapsed().as_millis() as u64,
                waited_ms = waited.as_millis() as u64,
                rate_limit = %rate_headers(&headers),
                "{outcome}"
            )
        };
        if status.is_success() {
            log("ok");
            if let Some(pause) = self.pacer.accepted(&headers) {
                self.notify(&format!(
                    "{}'s request budget is used up; pausing all its requests for {} until it resets",
                    self.service.display_name(),
                    human(pause)
                ));
            }
            return Ok(Reply { headers, body });
        }
        let text = crate::redact::scrub(&String::from_utf8_lossy(&body)).into_owned();
        let kind = if status.is_redirection() {
            let to = headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(|| "nowhere given".to_string(), public_url);
            ErrorKind::UnexpectedStatus {
                status: status.as_u16(),
                body_excerpt: format!("a redirect to {to}"),
            }
        } else {
            (self.classify)(status, &headers, &text)
        };
        log(&format!("error: {}", excerpt(&text)));
        if let ErrorKind::RateLimited { retry_after, .. } = &kind {
            let pause = self.pacer.refused(&headers, *retry_after);
            tracing::info!(
                target: LOG,
                service = self.service.display_name(),
                pause_ms = pause.as_millis() as u64,
                pace = %self.pacer.rate().map_or("unpaced".to_string(), |r| format!("{r:.2}/s")),
                "refused: pausing every request to this service, then retrying at a lower pace"
            );
        } else {
            self.pacer.accepted(&headers);
        }
        Err(self.error(kind))
    }

    /// The error for a wait longer than allowed: the budget is used up (or the server asked
    /// for a long pause).
    fn too_long(&self, t: TooLong) -> ErrorKind {
        let message = match t.budget {
            Some(b) if b.remaining == 0 => format!(
                "its request budget{} is used up and resets in {}",
                b.limit.map(|l| format!(" of {l}")).unwrap_or_default(),
                human(t.wait)
            ),
            _ => format!(
                "it asked to pause for {}, longer than crewsync waits",
                human(t.wait)
            ),
        };
        ErrorKind::RateLimited {
            message,
            retry_after: Some(t.wait),
        }
    }

    /// Runs `op` until it succeeds, fails for good, or the retries run out.
    ///
    /// A refusal (429) is retried at once: the limiter already holds every request to the
    /// service until the server's reset, and a backoff on top of that would only waste time.
    /// A connection failure (nothing sent) is retried within `connect_budget`, each retry told
    /// through the notice hook. Other retryable errors sleep a capped, jittered exponential
    /// backoff.
    pub async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.limits.min_backoff)
            .with_max_delay(self.limits.max_backoff)
            .with_max_times(self.limits.max_retries)
            .build();
        let mut refusals = 0;
        let mut unreachable_since: Option<Instant> = None;
        loop {
            let err = match op().await {
                Ok(value) => return Ok(value),
                Err(err) if !err.is_retryable() => return Err(err),
                Err(err) => err,
            };
            if let ErrorKind::RateLimited { retry_after, .. } = &err.kind {
                refusals += 1;
                if refusals > self.limits.max_retries
                    || retry_after.is_some_and(|w| w > self.pacer.max_wait())
                {
                    return Err(err);
                }
                continue;
            }
            let Some(delay) = backoff.next() else {
                return Err(err);
            };
            if let ErrorKind::Unreachable { url, detail } = &err.kind {
                let since = *unreachable_since.get_or_insert_with(Instant::now);
                let left = self.limits.connect_budget.saturating_sub(since.elapsed());
                // What is left of the budget is too short for a retry worth telling about.
                if left < self.limits.min_backoff {
                    return Err(err);
                }
                let delay = delay.min(left);
                self.notify(&format!(
                    "could not connect to {} at {url} ({detail}); retrying in {} (for up to {} in all)",
                    self.service.display_name(),
                    human(delay),
                    human(self.limits.connect_budget)
                ));
                tokio::time::sleep(delay).await;
                continue;
            }
            tracing::info!(
                target: LOG,
                service = self.service.display_name(),
                delay_ms = delay.as_millis() as u64,
                "retrying after: {err}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends a create without ever creating the record twice: when an earlier attempt may have
    /// reached the server (its answer was lost, or the server failed mid-way), `lookup` is asked
    /// first and an existing record is taken as the result. A refusal (429, KOT's 303) was not
    /// applied, so it never calls for a look-up: only an attempt that may have been applied
    /// and has not been looked for since does.
    pub async fn create<T, L, LFut>(
        &self,
        call: &Call<'_>,
        lookup: L,
        parse: impl Fn(Reply) -> Result<T, ApiError>,
    ) -> Result<T, ApiError>
    where
        L: Fn() -> LFut,
        LFut: Future<Output = Result<Option<T>, ApiError>>,
    {
        let unchecked = AtomicBool::new(false);
        let (lookup, parse, unchecked) = (&lookup, &parse, &unchecked);
        self.retry(|| async move {
            if unchecked.load(Ordering::SeqCst) {
                match lookup().await? {
                    Some(existing) => return Ok(existing),
                    None => unchecked.store(false, Ordering::SeqCst),
                }
            }
            match self.send_once(call).await {
                Ok(reply) => parse(reply),
                Err(err) => {
                    if err.may_have_been_applied() {
                        unchecked.store(true, Ordering::SeqCst);
                    }
                    Err(err)
                }
            }
        })
        .await
    }

    fn transport_error(&self, url: &Url, err: &reqwest::Error) -> ApiError {
        let url = public_url(url.as_str());
        let detail = root_cause(err);
        self.error(if err.is_timeout() {
            ErrorKind::Timeout { url }
        } else if err.is_connect() {
            ErrorKind::Unreachable { url, detail }
        } else {
            ErrorKind::Interrupted { url, detail }
        })
    }
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self, transport: &Transport) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            transport.malformed(crate::model::json::syntax_error(&e, &self.body).to_string())
        })
    }

    /// A JSON array body, each record converted as it is read (see [`crate::model::json::records`]).
    pub fn records<'a, T>(
        &'a self,
        transport: &Transport,
        convert: impl FnMut(&'a RawValue) -> Result<T, crate::model::json::RecordError>,
    ) -> Result<Vec<T>, ApiError> {
        crate::model::json::records(&self.body, convert)
            .map_err(|d| transport.malformed(d.to_string()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A URL fit for a message: no credentials and no query string.
fn public_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => excerpt(url.split('?').next().unwrap_or_default()),
    }
}

/// The request as the log shows it: no credentials, the query kept (it names what was asked
/// for, never a token), and anything registered as a secret scrubbed.
fn log_url(call: &Call<'_>) -> String {
    let mut url = call.url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if !call.query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    crate::redact::scrub(url.as_str()).into_owned()
}

/// The rate-limit headers of an answer, for the log: `limit/remaining/reset` per set.
fn rate_headers(headers: &HeaderMap) -> String {
    let mut parts = Vec::new();
    for set in ["x-rate-limit", "x-intensive-rate-limit"] {
        let get = |what: &str| {
            headers
                .get(format!("{set}-{what}"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string()
        };
        if headers.contains_key(format!("{set}-reset")) {
            parts.push(format!(
                "{set}={}/{}/{}s",
                get("remaining"),
                get("limit"),
                get("reset")
            ));
        }
    }
    if let Some(v) = headers.get("retry-after").and_then(|v| v.to_str().ok()) {
        parts.push(format!("retry-after={v}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" ")
    }
}

/// A wait as a person reads it: "0.4 s", "12 s", "43 min".
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs < 120.0 {
        format!("{} s", secs.round())
    } else {
        format!("{} min", (secs / 60.0).round())
    }
}

/// The innermost cause, which is the part a person can act on ("Connection refused").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_drops_credentials_and_query() {
        assert_eq!(
            public_url("https://user:pw@acme.smarthr.jp/api/v1/crews?access_token=abc"),
            "https://acme.smarthr.jp/api/v1/crews"
        );
    }
}

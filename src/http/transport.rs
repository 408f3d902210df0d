use super::json::excerpt;
use super::{ApiError, ErrorKind, Limits, Secret};
use crate::model::Service;
use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::future::Future;

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

/// One service's HTTP connection: base URL, token, pacing and the retry loop.
pub(crate) struct Transport {
    service: Service,
    http: reqwest::Client,
    base: Url,
    token: Secret,
    limits: Limits,
    pacer: Option<DefaultDirectRateLimiter>,
    classify: Classify,
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
        let pacer = match limits.requests_per_second {
            None => None,
            Some(rps) => {
                let quota = Some(rps)
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .and_then(|r| Quota::with_period(std::time::Duration::from_secs_f64(1.0 / r)))
                    .ok_or_else(|| {
                        config(format!(
                            "requests_per_second is {rps}; it must be a positive number"
                        ))
                    })?;
                Some(RateLimiter::direct(quota))
            }
        };
        let http = reqwest::Client::builder()
            .timeout(limits.timeout)
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
        })
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
            Attempts::WithRetries => self.retry(|_| self.send_once(call)).await,
        }
    }

    /// One attempt: wait for the pacer, send, read the whole answer, classify failures.
    pub async fn send_once(&self, call: &Call<'_>) -> Result<Reply, ApiError> {
        if let Some(pacer) = &self.pacer {
            pacer.until_ready().await;
        }
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(self.token.expose())
            .query(&call.query);
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(&call.url, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&call.url, &e))?
            .into();
        if status.is_success() {
            return Ok(Reply { headers, body });
        }
        let text = String::from_utf8_lossy(&body).replace(self.token.expose(), "***");
        Err(self.error((self.classify)(status, &headers, &text)))
    }

    /// Runs `op` until it succeeds, fails for good, or the retries run out, sleeping a capped,
    /// jittered exponential backoff in between (plus whatever wait a rate limit asked for).
    /// `op` is told whether an earlier attempt may already have been applied by the server, so
    /// that a create can look for its own result before sending again.
    pub async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T, ApiError>
    where
        F: FnMut(bool) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.limits.min_backoff)
            .with_max_delay(self.limits.max_backoff)
            .with_max_times(self.limits.max_retries)
            .build();
        let mut maybe_applied = false;
        loop {
            let err = match op(maybe_applied).await {
                Ok(value) => return Ok(value),
                Err(err) if !err.is_retryable() => return Err(err),
                Err(err) => err,
            };
            let Some(delay) = backoff.next() else {
                return Err(err);
            };
            let wait = match err.retry_after() {
                Some(asked) if asked > self.limits.max_rate_limit_wait => return Err(err),
                Some(asked) => asked + delay,
                None => delay,
            };
            maybe_applied |= err.may_have_been_applied();
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends a create without ever creating the record twice: when an earlier attempt may have
    /// reached the server (its answer was lost, or the server failed mid-way), `lookup` is asked
    /// first and an existing record is taken as the result.
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
        let (lookup, parse) = (&lookup, &parse);
        self.retry(|maybe_applied| async move {
            if maybe_applied && let Some(existing) = lookup().await? {
                return Ok(existing);
            }
            parse(self.send_once(call).await?)
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
        serde_json::from_slice(&self.body)
            .map_err(|e| transport.malformed(super::json::syntax_error(&e, &self.body)))
    }

    /// A JSON array body, each record converted as it is read (see [`super::json::records`]).
    pub fn records<'a, T>(
        &'a self,
        transport: &Transport,
        convert: impl FnMut(&'a RawValue) -> Result<T, String>,
    ) -> Result<Vec<T>, ApiError> {
        super::json::records(&self.body, convert).map_err(|d| transport.malformed(d))
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

use crate::model::Service;
use reqwest::StatusCode;
use std::time::Duration;

/// A failed call to SmartHR or KING OF TIME. The Display text is meant for the person running
/// crewsync: which service, what happened, and what to check. It never contains a token.
/// Kept as data (serde) where a failed write is recorded, so that the dashboard can say the
/// service's message in its page's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{}", describe(*service, kind))]
pub struct ApiError {
    pub service: Service,
    pub kind: ErrorKind,
}

/// What went wrong, in terms a caller can act on. Messages are the server's own where it sent
/// one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ErrorKind {
    /// The client could not be built: a bad base URL or limits.
    Config {
        detail: String,
    },
    /// No connection could be made; nothing was sent.
    Unreachable {
        url: String,
        detail: String,
    },
    /// No answer within the timeout; the request may have been applied.
    Timeout {
        url: String,
    },
    /// The connection broke after the request was sent; it may have been applied.
    Interrupted {
        url: String,
        detail: String,
    },
    Unauthorized {
        message: String,
    },
    Forbidden {
        message: String,
    },
    /// KING OF TIME's access-time restriction (code 104): every employee, division and
    /// working-type call is refused in 08:30–10:00 and 17:30–18:30 JST.
    AccessWindow {
        message: String,
    },
    NotFound {
        message: String,
    },
    /// A 404 from a list endpoint (every employee, office or type list always exists), which
    /// means the base URL does not point at the Web API: `url` is what was requested (without
    /// the query), `base_url` what the configuration gave.
    WrongBaseUrl {
        url: String,
        base_url: String,
    },
    Validation {
        message: String,
        details: Vec<String>,
    },
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    Server {
        status: u16,
        message: String,
    },
    UnexpectedStatus {
        status: u16,
        body_excerpt: String,
    },
    /// A success status with a body that is not what the API documents.
    Malformed {
        detail: String,
    },
}

impl crate::error::Diagnostic for ApiError {
    fn remedy(&self) -> Option<crate::error::Remedy> {
        matches!(self.kind, ErrorKind::RateLimited { .. })
            .then_some(crate::error::Remedy::WaitForReset)
    }
}

impl ApiError {
    /// Every text the error carries (server messages, body excerpts, URLs, causes) is scrubbed
    /// of secrets here, once, so that no way of showing it (Display, Debug, the history, the
    /// email) can leak a token a server echoed back.
    pub fn new(service: Service, mut kind: ErrorKind) -> Self {
        kind.scrub();
        ApiError { service, kind }
    }

    pub fn is_access_window(&self) -> bool {
        matches!(self.kind, ErrorKind::AccessWindow { .. })
    }

    pub fn is_auth(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unauthorized { .. } | ErrorKind::Forbidden { .. }
        )
    }

    /// Whether repeating the same request can succeed: rate limits, server errors and network
    /// trouble. Client errors (400/401/403/404) and the access window never are.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unreachable { .. }
                | ErrorKind::Timeout { .. }
                | ErrorKind::Interrupted { .. }
                | ErrorKind::RateLimited { .. }
                | ErrorKind::Server { .. }
        )
    }

    /// Whether the server may have carried out the request even though it failed, so that a
    /// create must be checked for before it is sent again.
    pub fn may_have_been_applied(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Timeout { .. } | ErrorKind::Interrupted { .. } | ErrorKind::Server { .. }
        )
    }

    /// The server-side failure this is, as a short key two errors share when they are the
    /// same failure ("HTTP 500"), or `None` for errors about the request itself. An apply
    /// stops when consecutive employees fail with the same key (its circuit breaker).
    pub fn server_side(&self) -> Option<String> {
        let s = self.service.display_name();
        match &self.kind {
            ErrorKind::Server { status, .. } => Some(format!("HTTP {status} from {s}")),
            ErrorKind::Unreachable { .. } => Some(format!("{s} unreachable")),
            ErrorKind::Timeout { .. } => Some(format!("{s} not answering in time")),
            ErrorKind::Interrupted { .. } => Some(format!("connections to {s} breaking")),
            _ => None,
        }
    }

    /// How long the server asked us to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            ErrorKind::RateLimited { retry_after, .. } => retry_after,
            _ => None,
        }
    }
}

impl ErrorKind {
    fn scrub(&mut self) {
        use crate::redact::scrub_in_place as clean;
        match self {
            ErrorKind::Config { detail } | ErrorKind::Malformed { detail } => clean(detail),
            ErrorKind::Unreachable { url, detail } | ErrorKind::Interrupted { url, detail } => {
                clean(url);
                clean(detail);
            }
            ErrorKind::Timeout { url } => clean(url),
            ErrorKind::WrongBaseUrl { url, base_url } => {
                clean(url);
                clean(base_url);
            }
            ErrorKind::Unauthorized { message }
            | ErrorKind::Forbidden { message }
            | ErrorKind::AccessWindow { message }
            | ErrorKind::NotFound { message }
            | ErrorKind::RateLimited { message, .. }
            | ErrorKind::Server { message, .. } => clean(message),
            ErrorKind::Validation { message, details } => {
                clean(message);
                details.iter_mut().for_each(clean);
            }
            ErrorKind::UnexpectedStatus { body_excerpt, .. } => clean(body_excerpt),
        }
    }

    /// The classification every status gets unless a service's own error code says more.
    /// `message` is the server's message, or an excerpt of the body when it sent none.
    pub(crate) fn from_status(
        status: StatusCode,
        message: String,
        details: Vec<String>,
        retry_after: Option<Duration>,
    ) -> ErrorKind {
        match status.as_u16() {
            400 | 422 => ErrorKind::Validation { message, details },
            401 => ErrorKind::Unauthorized { message },
            403 => ErrorKind::Forbidden { message },
            404 => ErrorKind::NotFound { message },
            429 => ErrorKind::RateLimited {
                message,
                retry_after,
            },
            500..=599 => ErrorKind::Server {
                status: status.as_u16(),
                message,
            },
            other => ErrorKind::UnexpectedStatus {
                status: other,
                body_excerpt: message,
            },
        }
    }
}

fn describe(service: Service, kind: &ErrorKind) -> String {
    let s = service.display_name();
    match kind {
        ErrorKind::Config { detail } => format!("the {s} client is misconfigured: {detail}"),
        ErrorKind::Unreachable { url, detail } => format!(
            "could not connect to {s} at {url} ({detail}); check the base_url in the configuration, the network and any proxy"
        ),
        ErrorKind::Timeout { url } => format!(
            "{s} did not answer in time at {url}; the service may be slow or down: try again later or raise the timeout"
        ),
        ErrorKind::Interrupted { url, detail } => format!(
            "the connection to {s} at {url} broke before its answer arrived ({detail}); the request may or may not have been applied, so check the record in {s} before repeating it"
        ),
        ErrorKind::Unauthorized { message } => format!(
            "{s} rejected the access token ({message}); {}",
            auth_hint(service)
        ),
        ErrorKind::Forbidden { message } => format!(
            "{s} refused access ({message}); check that the access token has read and write permission for employees and their master data{}",
            if service == Service::Kot {
                " and that this machine's IP address is on the token's allow-list"
            } else {
                ""
            }
        ),
        ErrorKind::AccessWindow { message } => format!(
            "{s} refuses API access at this time of day ({message}); employee APIs are closed 08:30–10:00 and 17:30–18:30 JST, so run again after the window ends"
        ),
        ErrorKind::NotFound { message } => format!(
            "{s} has no such record ({message}); check the employee code or id, and that the base_url points at the right company"
        ),
        ErrorKind::WrongBaseUrl { url, base_url } => format!(
            "{s} answered 404 Not Found for {url}, a list that always exists, so the base_url is wrong: it is {base_url}, and it should end with {} (e.g. {}); check smarthr/kot base_url in the configuration",
            service.base_url_suffix(),
            service.example_base_url()
        ),
        ErrorKind::Validation { message, details } => {
            let mut text = format!("{s} rejected the data ({message}");
            for d in details {
                text.push_str("; ");
                text.push_str(d);
            }
            text.push_str("); correct the values named and try again");
            text
        }
        ErrorKind::RateLimited {
            message,
            retry_after,
        } => format!(
            "{s} is rate limiting requests ({message}){}; wait and run again, or lower requests_per_second",
            match retry_after {
                Some(d) => format!(" and asked to wait {} s", d.as_secs().max(1)),
                None => String::new(),
            }
        ),
        ErrorKind::Server { status, message } => format!(
            "{s} had a server error (HTTP {status}: {message}); it may be under maintenance, so try again later"
        ),
        ErrorKind::UnexpectedStatus {
            status,
            body_excerpt,
        } => format!(
            "{s} answered with an unexpected HTTP {status} ({body_excerpt}); check that the base_url points at the {s} Web API"
        ),
        ErrorKind::Malformed { detail } => format!(
            "{s} sent an answer crewsync cannot read ({detail}); check that the base_url points at the {s} Web API and not at a web page or proxy"
        ),
    }
}

fn auth_hint(service: Service) -> &'static str {
    match service {
        Service::SmartHr => {
            "check that the token is correct, not revoked, and issued for this company's subdomain"
        }
        Service::Kot => {
            "check that the token is correct and valid, that this machine's IP address is on its allow-list, and that it may read and write employees, divisions and working types"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classification_matches_the_retry_policy() {
        let kind = |code: u16| {
            ErrorKind::from_status(
                StatusCode::from_u16(code).unwrap(),
                "m".into(),
                vec![],
                None,
            )
        };
        for (code, retryable) in [
            (400, false),
            (401, false),
            (403, false),
            (404, false),
            (429, true),
            (500, true),
            (503, true),
            (418, false),
        ] {
            let err = ApiError::new(Service::SmartHr, kind(code));
            assert_eq!(err.is_retryable(), retryable, "HTTP {code}");
        }
    }

    #[test]
    fn messages_name_the_service_and_the_server_message() {
        let err = ApiError::new(
            Service::Kot,
            ErrorKind::AccessWindow {
                message: "禁止されています".into(),
            },
        );
        let text = err.to_string();
        assert!(text.contains("KING OF TIME"), "{text}");
        assert!(text.contains("禁止されています"), "{text}");
        assert!(err.is_access_window());
        assert!(!err.is_retryable());
    }
}

//! What keeps employees' personal data to the people allowed to see it: who may log in, the
//! session cookie, the CSRF token, the `Host` check and the headers every answer carries.
//!
//! Two ways in. On one's own machine, a one-time access link printed at start (as Jupyter
//! does): whoever can read the terminal may enter. On a shared machine, a password from an
//! environment variable. Either way the person then gives their name, which the history
//! records as who ran a sync. Secrets are compared in constant time and never echoed.

use super::App;
use super::i18n::Lang;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "crewsync_session";
/// The form field (or `X-CSRF-Token` header) that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// A session unused for this long is forgotten.
const IDLE: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept (the oldest unused goes first), so that anonymous
/// visits cannot fill the memory.
const MAX_SESSIONS: usize = 1000;
/// The largest form accepted: a page of ticked rows is far smaller.
const MAX_FORM: usize = 1 << 20;

/// The Content-Security-Policy of every answer: scripts, styles and images from this server
/// only, no inline script or style, no framing, forms posted only back here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// 32 random bytes as hex: session ids, CSRF tokens and access links.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS generator failing is a broken machine; a predictable token would be worse than
    // not starting, and this runs first at start (the access link), so it fails there.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two secrets, so that timing does not tell how much matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// How people are let in.
pub enum Login {
    /// The one-time access link; each use prints the next one through `announce`.
    Link {
        token: Mutex<String>,
        announce: Box<dyn Fn(&str) + Send + Sync>,
    },
    /// Name and password; the password from the environment, never shown.
    Password(crate::http::Secret),
}

impl Login {
    /// Whether `token` is the current access link's; if so it is spent and the next one
    /// announced.
    pub fn spend_link(&self, token: &str) -> bool {
        let Login::Link {
            token: current,
            announce,
        } = self
        else {
            return false;
        };
        let mut current = current.lock().unwrap_or_else(|e| e.into_inner());
        if !same_secret(&current, token) {
            return false;
        }
        *current = random_token();
        announce(&current);
        true
    }
}

/// One browser's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    /// The name given at login; `None` until then.
    pub user: Option<String>,
    /// The access link was opened in this browser: it may now give a name.
    pub link_ok: bool,
    seen: Instant,
}

/// Every live session, in memory: a restart logs everyone out, which is what a tool started
/// by hand for a sync should do.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get_mut(id)?;
        if s.seen.elapsed() > IDLE {
            map.remove(id);
            return None;
        }
        s.seen = Instant::now();
        Some(s.clone())
    }

    /// A new anonymous session.
    pub fn create(&self) -> Session {
        let s = Session {
            id: random_token(),
            csrf: random_token(),
            user: None,
            link_ok: false,
            seen: Instant::now(),
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.values().min_by_key(|s| s.seen).map(|s| s.id.clone())
        {
            map.remove(&oldest);
        }
        map.insert(s.id.clone(), s.clone());
        s
    }

    /// Replaces `old` by a new session with a new id and CSRF token (no session fixation
    /// across a login), changed by `f`.
    pub fn rotate(&self, old: &str, f: impl FnOnce(&mut Session)) -> Session {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(old);
        let mut s = self.create();
        f(&mut s);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(s.id.clone(), s.clone());
        s
    }

    pub fn remove(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// What a handler knows about the request: its session and language.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub session: Session,
    pub lang: Lang,
}

impl Ctx {
    /// The login name; the guard lets only logged-in sessions reach the pages that ask.
    pub fn user(&self) -> &str {
        self.session.user.as_deref().unwrap_or_default()
    }
}

/// The `Set-Cookie` value for a session: HttpOnly so that no script reads it, SameSite=Strict
/// so that no other site's page sends it, Secure when served over TLS.
pub fn cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a hex id is a valid header value")
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// A refusal in plain text, in the language the browser asked for.
fn refuse(status: StatusCode, why: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        why,
    )
        .into_response()
}

/// Whether a path is reachable before login.
fn public(path: &str) -> bool {
    path == "/login" || path.starts_with("/access/") || path.starts_with("/assets/")
}

/// Every request passes here: the `Host` check, the session, the CSRF check on every
/// state-changing method, the login requirement, and the security headers on the answer.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = checked(&app, request, next).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn checked(app: &App, request: Request, next: Next) -> Response {
    let lang = Lang::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let t = lang.text();
    // A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) reaches
    // this server with its own name in Host: only the names this server is bound to pass.
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    if !host.is_some_and(|h| app.settings.allowed_hosts.contains(&h)) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, t.refused_host);
    }
    let (session, fresh) =
        match session_cookie(request.headers()).and_then(|id| app.sessions.get(id)) {
            Some(s) => (s, false),
            None => (app.sessions.create(), true),
        };
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD);
    let path = request.uri().path().to_string();
    let mut request = request;
    if changes_state {
        if !origin_allowed(app, request.headers()) {
            return refuse(StatusCode::FORBIDDEN, t.refused_origin);
        }
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, t.refused_too_large);
        };
        if !csrf_ok(&session, &parts.headers, &bytes) {
            return refuse(StatusCode::FORBIDDEN, t.refused_csrf);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    if !public(&path) && session.user.is_none() {
        let mut r = Redirect::to("/login").into_response();
        if fresh {
            r.headers_mut().insert(
                header::SET_COOKIE,
                cookie(&session.id, app.settings.secure_cookie),
            );
        }
        return r;
    }
    request.extensions_mut().insert(Ctx {
        session: session.clone(),
        lang,
    });
    let mut response = next.run(request).await;
    if fresh && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().insert(
            header::SET_COOKIE,
            cookie(&session.id, app.settings.secure_cookie),
        );
    }
    response
}

/// A browser says where a form was posted from; one from another site is refused even before
/// the CSRF token is looked at. Under `Referrer-Policy: no-referrer` browsers send
/// `Origin: null` for this server's own forms, so `null` proves nothing either way and is left
/// to the token; `Sec-Fetch-Site`, which browsers send whatever the policy, must say
/// same-origin (or none: typed in the address bar) when it is there.
fn origin_allowed(app: &App, headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return true;
    }
    let host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .map(str::to_ascii_lowercase);
    host.is_some_and(|h| app.settings.allowed_hosts.contains(&h))
}

fn csrf_ok(session: &Session, headers: &HeaderMap, body: &Bytes) -> bool {
    let from_header = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    let from_form = || {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v)
    };
    match from_header {
        Some(t) => same_secret(t, &session.csrf),
        None => from_form().is_some_and(|t: String| same_secret(&t, &session.csrf)),
    }
}

/// The names this server answers to: the bound address, and `localhost:PORT` and
/// `127.0.0.1:PORT` when that is a loopback or the any-address, plus the public name (the one
/// people use through a reverse proxy, which must pass `Host` on).
pub fn allowed_hosts(listen: std::net::SocketAddr, public: Option<&str>) -> Vec<String> {
    let port = listen.port();
    let mut hosts = vec![listen.to_string()];
    if listen.ip().is_loopback() || listen.ip().is_unspecified() {
        hosts.push(format!("localhost:{port}"));
        hosts.push(format!("127.0.0.1:{port}"));
    }
    if let Some(p) = public {
        hosts.push(p.to_ascii_lowercase());
    }
    hosts
}

//! What the dashboard's HTTP and browser tests share: the simulators with a configuration
//! (from `tests/util`), a dashboard on them, and a cookie-keeping client that speaks to its
//! router in-process.

#![allow(dead_code)] // each test file uses a different part of the harness

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use crewsync::config::Config;
use crewsync::http::Secret;
use crewsync::web::{self, App, Settings};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

#[path = "../util/mod.rs"]
pub mod util;
pub use util::Env;

/// The address the in-process dashboard pretends to listen on.
pub const LISTEN: &str = "127.0.0.1:8765";
/// A password long enough for the shared-machine login.
pub const PASSWORD: &str = "correct horse battery staple";

/// The simulators' configuration with their tokens, as `crewsync serve` loads it.
pub fn config(env: &Env) -> Config {
    env.config()
}

/// A dashboard and every access link it announced, newest last.
pub struct Dashboard {
    pub app: Arc<App>,
    pub links: Arc<Mutex<Vec<String>>>,
}

impl Dashboard {
    pub fn new(config: Config, listen: &str, password: Option<&str>) -> Dashboard {
        let links = Arc::new(Mutex::new(vec![]));
        let seen = links.clone();
        let app = App::new(
            Settings {
                config,
                listen: listen.parse().expect("a socket address"),
                password: password.map(Secret::new),
                public_url: None,
            },
            Box::new(move |path| seen.lock().unwrap().push(path.to_string())),
        )
        .unwrap_or_else(|e| panic!("the dashboard starts: {e}"));
        Dashboard { app, links }
    }

    pub fn link(&self) -> String {
        self.links
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("an access link was announced")
    }

    pub fn client(&self) -> Client {
        Client {
            app: self.app.clone(),
            host: LISTEN.to_string(),
            cookie: None,
            lang: None,
        }
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location in {self:?}"))
    }

    /// The value of the first `name="csrf"` field on the page.
    pub fn csrf(&self) -> String {
        attr_after(&self.body, "name=\"csrf\" value=\"").expect("the page has a CSRF field")
    }
}

/// The text between `marker` and the next `"`.
pub fn attr_after(body: &str, marker: &str) -> Option<String> {
    let at = body.find(marker)? + marker.len();
    Some(body[at..].split('"').next()?.to_string())
}

/// A browser stand-in: keeps the session cookie, sends Host and Accept-Language.
pub struct Client {
    app: Arc<App>,
    pub host: String,
    pub cookie: Option<String>,
    pub lang: Option<String>,
}

impl Client {
    /// The router's answer to `request`, its body not read yet (an event stream is read as it
    /// comes).
    pub async fn respond(&mut self, request: Request<Body>) -> axum::response::Response {
        web::router(self.app.clone())
            .oneshot(request)
            .await
            .expect("the router answers")
    }

    pub async fn send(&mut self, request: Request<Body>) -> Answer {
        let response = self.respond(request).await;
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let v = set.to_str().unwrap();
            self.cookie = Some(v.split(';').next().unwrap().to_string());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if !self.host.is_empty() {
            b = b.header(header::HOST, &self.host);
        }
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        if let Some(l) = &self.lang {
            b = b.header(header::ACCEPT_LANGUAGE, l);
        }
        b
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(r).await
    }

    /// `GET path` with its body left to be read as it comes (server-sent events).
    pub async fn open(&mut self, path: &str) -> axum::response::Response {
        let r = self.request("GET", path).body(Body::empty()).unwrap();
        self.respond(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(form).unwrap();
        let r = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(r).await
    }

    /// Opens the access link, then gives `name` on the login form.
    pub async fn log_in_with_link(&mut self, dashboard: &Dashboard, name: &str) {
        let a = self.get(&dashboard.link()).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
        let form = self.get("/login").await;
        assert!(form.body.contains("name=\"name\""), "{}", form.body);
        let csrf = form.csrf();
        let a = self
            .post("/login", &[("csrf", &csrf), ("name", name)])
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
        assert_eq!(a.location(), "/");
    }

    /// Follows `GET path` through redirects until a page answers (at most 200 polls, 100 ms
    /// apart, for the pages that reload while work goes on) and `done` holds for it.
    pub async fn wait_for(&mut self, path: &str, done: impl Fn(&Answer) -> bool) -> Answer {
        let mut path = path.to_string();
        for _ in 0..200 {
            let a = self.get(&path).await;
            if a.status == StatusCode::SEE_OTHER {
                path = a.location().to_string();
                continue;
            }
            if done(&a) {
                return a;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{path} never became ready");
    }
}

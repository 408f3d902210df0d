//! The 連携ダッシュボード: the sync wizard of SmartHR's closed feature, served on this machine
//! by `crewsync serve`, on the same library calls as the CLI (all of them in [`core`]).
//!
//! Pages are askama templates checked at compile time; the CSS and the small script are built
//! into the binary; every page works without JavaScript. Every request passes
//! [`security::guard`] first.

pub mod core;
pub mod errors;
pub mod escape;
pub mod health;
pub mod i18n;
mod pages;
pub mod said;
pub mod security;
mod wizard;

use crate::config::Config;
use crate::http::Secret;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// The environment variable that holds the dashboard password for a shared machine.
pub const PASSWORD_ENV: &str = "CREWSYNC_DASHBOARD_PASSWORD";
/// The shortest password accepted: it guards employees' personal data on a network.
pub const MIN_PASSWORD: usize = 12;
/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// Why the dashboard would not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "refusing to listen on {0}: it is reachable from other machines and no password is set.\n  hint: set {PASSWORD_ENV} (at least {MIN_PASSWORD} characters) and put the dashboard behind a TLS reverse proxy, or listen on 127.0.0.1"
    )]
    OpenWithoutPassword(SocketAddr),
    #[error(
        "{PASSWORD_ENV} is set but shorter than {MIN_PASSWORD} characters; choose a longer password"
    )]
    ShortPassword,
    #[error("'{0}' is not an http(s) address with a host, e.g. https://crewsync.example.com")]
    BadPublicUrl(String),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl crate::error::Diagnostic for WebError {
    fn value(&self) -> Option<&str> {
        match self {
            WebError::BadPublicUrl(url) => Some(url),
            _ => None,
        }
    }
    fn input(&self) -> Option<crate::error::Input> {
        matches!(self, WebError::BadPublicUrl(_)).then_some(crate::error::Input::PublicUrl)
    }
    fn remedy(&self) -> Option<crate::error::Remedy> {
        match self {
            WebError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
                Some(crate::error::Remedy::OtherAddress)
            }
            _ => None,
        }
    }
}

/// How the dashboard is run.
pub struct Settings {
    pub config: Config,
    pub listen: SocketAddr,
    /// The password from [`PASSWORD_ENV`], if set: then login asks for it instead of the link.
    pub password: Option<Secret>,
    /// The address people use behind a TLS reverse proxy (`https://host`): its host is allowed
    /// in `Host`, and cookies are marked Secure when it is https.
    pub public_url: Option<String>,
}

/// What the guard and the pages check against, derived from [`Settings`].
pub struct Checked {
    pub allowed_hosts: Vec<String>,
    pub secure_cookie: bool,
}

/// The running dashboard's state.
pub struct App {
    pub config: Config,
    pub settings: Checked,
    pub login: security::Login,
    pub sessions: security::Sessions,
    wizards: wizard::Wizards,
    health: health::Health,
}

/// The access link's path for a token.
pub fn access_path(token: &str) -> String {
    format!("/access/{token}")
}

impl App {
    /// Checks the settings (address, password, public URL) and builds the state. With the
    /// link login, `announce` is told each access link's path (the first at once).
    pub fn new(
        settings: Settings,
        announce: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<Arc<App>, WebError> {
        let public_host = settings
            .public_url
            .as_deref()
            .map(|u| {
                let host = u
                    .strip_prefix("https://")
                    .or_else(|| u.strip_prefix("http://"))
                    .map(|h| h.trim_end_matches('/'))
                    .filter(|h| !h.is_empty() && !h.contains('/'));
                host.map(str::to_string)
                    .ok_or_else(|| WebError::BadPublicUrl(u.to_string()))
            })
            .transpose()?;
        let login = match settings.password {
            Some(p) if p.expose().chars().count() < MIN_PASSWORD => {
                return Err(WebError::ShortPassword);
            }
            Some(p) => security::Login::Password(p),
            None if !settings.listen.ip().is_loopback() => {
                return Err(WebError::OpenWithoutPassword(settings.listen));
            }
            None => {
                let token = security::random_token();
                announce(&access_path(&token));
                security::Login::Link {
                    token: std::sync::Mutex::new(token),
                    announce: Box::new(move |t| announce(&access_path(t))),
                }
            }
        };
        Ok(Arc::new(App {
            settings: Checked {
                allowed_hosts: security::allowed_hosts(settings.listen, public_host.as_deref()),
                secure_cookie: settings
                    .public_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://")),
            },
            config: settings.config,
            login,
            sessions: security::Sessions::default(),
            wizards: wizard::Wizards::default(),
            health: health::Health::default(),
        }))
    }
}

/// Every route, behind the guard.
pub fn router(app: Arc<App>) -> Router {
    pages::routes()
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security::guard,
        ))
        .with_state(app)
}

/// Binds `listen` (refusing what [`App::new`] refuses) and serves until `shutdown` resolves.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the listening socket.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, WebError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })
}

//! `crewsync serve`: the dashboard on this machine, with its access link or password login.

use super::Status;
use super::out::outln;
use anyhow::Context;
use crewsync::config::Config;
use crewsync::http::Secret;
use crewsync::web::{self, App, Settings};
use std::net::SocketAddr;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on. Anything but a loopback address needs a password
    /// (CREWSYNC_DASHBOARD_PASSWORD) and belongs behind a TLS reverse proxy.
    #[arg(long, value_name = "IP:PORT", default_value = web::DEFAULT_LISTEN, value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// The https address people open when a reverse proxy serves the dashboard
    /// (e.g. https://crewsync.example.com): accepted as Host, and cookies are marked Secure.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Start the built-in simulators with the sample company and serve the dashboard on them:
    /// no token, no network, no configuration (so `--config` is refused with it).
    #[arg(long)]
    pub demo: bool,
}

/// Serves the dashboard; `config` loads the configuration (`--config`), unless `--demo`.
pub async fn run(
    args: ServeArgs,
    config: impl FnOnce() -> Result<Config, crewsync::config::ConfigError>,
) -> anyhow::Result<Status> {
    // Bound first: a busy port then leaves nothing behind (no demo folder, no simulators).
    let listener = web::bind(args.listen).await?;
    // Kept alive for as long as the dashboard serves.
    let mut demo = None;
    let config = if args.demo {
        let (config, sims, dir) = super::demo::simulated().await?;
        demo = Some((sims, dir));
        config
    } else {
        config()?
    };
    let password = std::env::var(web::PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let with_password = password.is_some();
    let listen = listener.local_addr().context("reading the bound address")?;
    let base = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{listen}"));
    let link_base = base.clone();
    let app = App::new(
        Settings {
            config,
            listen,
            password,
            public_url: args.public_url,
        },
        Box::new(move |path| {
            outln!("Open this one-time link to log in: {link_base}{path}");
        }),
    )?;
    if with_password {
        outln!(
            "連携ダッシュボード: {base}  (log in with a name and the password in {})",
            web::PASSWORD_ENV
        );
    } else {
        outln!(
            "連携ダッシュボード: {base}  (each link above works once; the next is printed when it is used)"
        );
    }
    if let Some((_, dir)) = &demo {
        // Kept, as `crewsync demo` keeps it, for the history of what was applied here; said
        // now, since Ctrl-C ends the process with no closing words.
        outln!(
            "Demo: the simulators hold a sample company; nothing real is read or written. Its configuration and history are kept in {} (delete it when you are done).",
            dir.display()
        );
    }
    outln!("Press Ctrl-C to stop.");
    web::serve(app, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving the dashboard")?;
    drop(demo);
    Ok(Status::Done)
}

/// `--listen`: an address to bind, so an IP and a port; a host name is not looked up.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!("'{s}' is not an IP:PORT address, e.g. 127.0.0.1:8766 (a host name such as localhost is not taken)")
    })
}

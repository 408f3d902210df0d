//! What the HTTP client tests (`kot_client`, `smarthr_client`) start before talking to a
//! server: the simulators at a fixed clock, retry limits, and tiny local servers for the
//! broken-server cases.

use chrono::{DateTime, FixedOffset, NaiveDate};
use crewsync::http::Limits;
use crewsync::sim::{self, Company, SAMPLE_AS_OF, SimConfig, Simulators};
use std::net::SocketAddr;

/// `h:m` JST on `date`: the KOT simulator's clock decides whether an access window is open.
pub fn at(date: NaiveDate, h: u32, m: u32) -> DateTime<FixedOffset> {
    date.and_hms_opt(h, m, 0)
        .unwrap()
        .and_local_timezone(sim::JST)
        .unwrap()
}

async fn start_with(company: Company, rate_limits: bool) -> Simulators {
    sim::start(SimConfig {
        company,
        kot_clock: Some(at(SAMPLE_AS_OF, 12, 0)),
        rate_limits,
        limits: Default::default(),
    })
    .await
    .unwrap()
}

/// Simulators whose KOT clock is at noon, outside the access windows, with no rate limits so
/// that only the faults a test injects refuse a request.
pub async fn start(company: Company) -> Simulators {
    start_with(company, false).await
}

/// [`start`], but refusing requests beyond the real services' rate limits: for the tests of
/// the clients' pacing.
pub async fn start_rate_limited(company: Company) -> Simulators {
    start_with(company, true).await
}

/// No pacing, `max_retries` retries: tests count the requests a client makes.
pub fn limits(max_retries: usize) -> Limits {
    Limits {
        max_retries,
        ..Limits::unlimited()
    }
}

/// Serves `app` on 127.0.0.1 for the rest of the test; its address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A port on 127.0.0.1 that nobody listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

//! The request log: `--verbose`, or any `RUST_LOG` filter, turns on `tracing` output on stderr.
//! Every line goes through [`crewsync::redact`] on its way out, so a token a server echoed
//! back never reaches the log.

use std::io::{IsTerminal, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// What `--verbose` shows: every request crewsync makes, its retries and waits.
const VERBOSE: &str = "crewsync=debug";

/// Starts the log when `RUST_LOG` is set (it wins) or `verbose` is; otherwise nothing is
/// logged. A `RUST_LOG` that is not a valid filter is reported and `verbose`'s used instead.
pub fn init(verbose: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("warning: RUST_LOG '{spec}' is not a valid filter ({e}); using {VERBOSE}");
            EnvFilter::new(VERBOSE)
        }),
        _ if verbose => EnvFilter::new(VERBOSE),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Scrubbed)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Writes to stderr with every registered secret masked.
struct Scrubbed;

impl<'a> MakeWriter<'a> for Scrubbed {
    type Writer = Scrubbed;
    fn make_writer(&'a self) -> Scrubbed {
        Scrubbed
    }
}

impl Write for Scrubbed {
    /// The formatter hands over one whole event per call, so a secret is never split
    /// between two calls.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(crewsync::redact::scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

//! Standard output that outlives its reader. `crewsync plan --all | head` closes the pipe
//! while crewsync still prints; `println!` would panic there (exit 101, a backtrace). Here a
//! closed or failing stdout only stops the printing: the command goes on, so that an apply
//! piped into `head` still writes what was chosen and records its run, and exits with its own
//! status (ripgrep and cargo likewise end quietly on a closed pipe).

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout refused a write: nothing more is tried.
static GONE: AtomicBool = AtomicBool::new(false);

/// Writes `args` to stdout, and nothing once stdout has failed.
pub fn write(args: fmt::Arguments<'_>) {
    if GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_fmt(args)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        GONE.store(true, Ordering::Relaxed);
    }
}

/// `print!` that never panics on a closed stdout ([`write`]).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::out::write(format_args!($($arg)*)) };
}

/// `println!` that never panics on a closed stdout ([`write`]).
macro_rules! outln {
    () => { $crate::cli::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};

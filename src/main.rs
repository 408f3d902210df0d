//! The `crewsync` binary: argument parsing and exit statuses only; the work is in the library.
//!
//! Exit statuses (documented in the README and `--help`):
//! 0 done, or nothing to do; 1 could not run, or stopped before the end (bad arguments or
//! configuration, authentication, network, access window, another apply, max_changes); 2 ran,
//! but a selected employee failed or was not attempted (with `--strict`: or the plan has
//! invalid employees); 130 stopped by Ctrl-C.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::Cli::parse_noting_config() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            // Clap's own rendering names the bad value and shows usage; only its exit status
            // (2) is changed, because 2 means "some employees failed" here.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    cli::log::init(args.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("{}", cli::errors::render(&e));
            ExitCode::from(cli::errors::status(&e) as u8)
        }
    }
}

//! The Rhai rules as integrators use them: decisions per employee, rule tests, reloads.

use crewsync::model::{Direction, Employee, MasterItem};
use crewsync::plan::{Change, Policy, SelectInput, Status};
use crewsync::rules::{self, Limits, Rules, RulesHandle, WatchEvent};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

#[test]
fn shipped_examples_pass_their_tests() {
    let report = rules::run_tests(&shipped());
    assert!(report.is_ok(), "{report}");
    assert!(report.passed() >= 15, "{report}");
}

#[test]
fn debug_print() {
    let report = rules::run_tests(&shipped());
    println!("{report:#?}");
    println!("{}", rules::check(&shipped()));
}

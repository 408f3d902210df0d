//! The workflow's order through the binary (issue 16 §2): the rules are loaded and compiled
//! before anything is fetched, so a typo in them costs no download.

mod util;

use std::path::PathBuf;
use util::{Env, apply_to_kot, plan_args};

/// A rules folder whose only script does not compile.
fn broken_rules(env: &Env) -> PathBuf {
    let dir = env.dir.path().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("offices.rhai"),
        "fn office(e) { return \"本社\" \n",
    )
    .unwrap();
    dir
}

fn requests(env: &Env) -> usize {
    env.sims.smarthr.request_count() + env.sims.kot.request_count()
}

#[test]
fn broken_rules_fail_plan_and_apply_before_any_request() {
    let env = Env::sample();
    let dir = broken_rules(&env);
    let rules = dir.to_str().unwrap();
    for args in [
        plan_args("smarthr-to-kot", &["--rules", rules]),
        apply_to_kot(&["--rules", rules, "--select", "all", "--yes"]),
        [
            &["watch"][..],
            &plan_args("smarthr-to-kot", &["--rules", rules])[1..],
        ]
        .concat(),
    ] {
        let out = env.cmd(&args).run();
        assert_ne!(out.status, 0, "{args:?}: {}", out.all());
        assert!(
            out.stderr.contains("do not compile") && out.stderr.contains("offices.rhai"),
            "{args:?} names the rule error:\n{}",
            out.stderr
        );
        assert_eq!(
            requests(&env),
            0,
            "{args:?}: nothing is fetched with broken rules"
        );
    }
    // The same rules set in the configuration instead of a flag.
    env.write_config(&format!("rules: {rules}\n"));
    let out = env.cmd(&plan_args("smarthr-to-kot", &[])).run();
    assert!(out.stderr.contains("do not compile"), "{}", out.stderr);
    assert_eq!(requests(&env), 0);
    // And once the rules compile, the plan does fetch: the counters do count.
    std::fs::write(dir.join("offices.rhai"), "fn office(e) { () }\n").unwrap();
    env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(0);
    assert!(requests(&env) > 0);
}

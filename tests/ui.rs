//! Whole-output snapshots of what a person sees (cargo-style UI tests): an output change shows
//! up as a snapshot diff to review, not as a silent drift. Update with `INSTA_UPDATE=always
//! cargo test --test ui` and review the `.snap` files.

mod util;

use util::{Env, TO_KOT_DEFAULTS, plan_args};

#[test]
fn help() {
    let env = Env::empty();
    insta::assert_snapshot!("help", env.cmd(&["--help"]).run().expect(0).stdout);
    insta::assert_snapshot!(
        "apply_help",
        env.cmd(&["apply", "--help"]).run().expect(0).stdout
    );
}

#[test]
fn plan_table() {
    let env = Env::one_of_each("hanako.sato@example.com");
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .run()
        .expect(0);
    insta::assert_snapshot!("plan_table", out.stdout);
}

#[test]
fn errors_a_person_makes() {
    let env = Env::empty();
    let date = env
        .cmd(&[
            "plan",
            "--direction",
            "smarthr-to-kot",
            "--as-of",
            "2026-02-30",
        ])
        .run()
        .expect(1);
    insta::assert_snapshot!("bad_date", date.stderr);
    let no_config = Env::empty();
    std::fs::remove_file(no_config.config_path()).unwrap();
    let out = no_config
        .cmd(&["plan", "--direction", "smarthr-to-kot"])
        .run()
        .expect(1);
    insta::assert_snapshot!(
        "missing_config",
        out.stderr
            .replace(&no_config.config_path().display().to_string(), "[CONFIG]")
    );
}

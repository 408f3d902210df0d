//! What a fresh user met on a first pass through the binary, against the simulators: every
//! hint names the `--config` given and can be pasted, `rules` finds the configured folder,
//! and bad input (a token that is not text, a short year, a number out of range, a flag that
//! would be ignored) is said plainly, naming the value and what is taken.

mod util;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use util::{Env, plan_args};

/// `out`'s text with each run of white space one space: help wraps to the terminal.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The configuration flag every hint of these tests must carry.
fn config_flag(env: &Env) -> String {
    format!("--config {}", env.config_path().display())
}

#[test]
fn a_token_that_is_not_text_is_said_to_be_set_but_not_valid_text() {
    let env = Env::empty();
    let mut cmd = env.cmd(&plan_args("kot-to-smarthr", &[]));
    cmd.cmd
        .env("KOT_ACCESS_TOKEN", OsStr::from_bytes(b"\xff\xfe"));
    let out = cmd.run().expect(1);
    assert!(
        out.stderr
            .contains("KOT_ACCESS_TOKEN is set, but not to valid text")
            && !out.stderr.contains("not set"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_two_digit_year_is_said_to_need_four_digits() {
    let env = Env::empty();
    for args in [
        &[
            "plan",
            "--direction",
            "smarthr-to-kot",
            "--as-of",
            "26-04-01",
        ][..],
        &["history", "--since", "26-04-01"][..],
    ] {
        let out = env.cmd(args).run().expect(1);
        assert!(
            out.stderr.contains("'26-04-01'")
                && out.stderr.contains("four digits, YYYY-MM-DD")
                && !out.stderr.contains("outside"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// Each configuration error names the key, the value and what the key takes, never a Rust
/// type, and a file cut short is said as such.
#[test]
fn configuration_errors_name_the_key_the_value_and_the_range() {
    let env = Env::empty();
    let base = format!(
        "smarthr:\n  base_url: {}\nkot:\n  base_url: {}\nmaintenance_windows: []\n",
        env.sims.smarthr.base_url(),
        env.sims.kot.base_url()
    );
    let cases: [(String, &[&str]); 6] = [
        (
            format!("{base}circuit_breaker: {{consecutive_failures: -1}}\n"),
            &["consecutive_failures", "-1", "a whole number from 0 up"],
        ),
        (
            base.replace(
                "maintenance_windows",
                "max_changes: -3\nmaintenance_windows",
            ),
            &["max_changes -3", "count from 0 up"],
        ),
        (
            format!("{base}plan_max_age_hours: 1e308\n"),
            &["plan_max_age_hours", "too large", "from 0 to 8760"],
        ),
        (
            format!("{base}window_poll_seconds: 0\n"),
            &["window_poll_seconds", "from 1 to 3600", "not 0"],
        ),
        (
            base.replace("kot:\n", "kot:\n  max_retries: 100000000000\n"),
            &["max_retries", "from 0 to 50", "100000000000"],
        ),
        (
            base.replace("kot:\n", "kot:\n  requests_per_second: 1e400\n"),
            &["requests_per_second", "positive number"],
        ),
    ];
    for (text, said) in cases {
        std::fs::write(env.config_path(), &text).unwrap();
        let out = env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(1);
        for words in said {
            assert!(
                out.stderr.contains(words),
                "{words:?} for:\n{text}\n{}",
                out.stderr
            );
        }
        for rust in ["usize", "u64", "f64", "struct "] {
            assert!(
                !out.stderr.contains(rust),
                "{rust} for:\n{text}\n{}",
                out.stderr
            );
        }
    }
    std::fs::write(env.config_path(), "smarthr: [1,2\n").unwrap();
    let out = env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(1);
    assert!(
        !out.stderr.contains("ServiceConfig") && !out.stderr.contains("struct"),
        "{}",
        out.stderr
    );
}

#[test]
fn serve_demo_refuses_a_config_it_would_ignore() {
    let env = Env::empty();
    let mut cmd = env.cmd(&[]);
    cmd.cmd
        .args(["serve", "--demo", "--config"])
        .arg(env.config_path());
    let out = cmd.run().expect(1);
    assert!(
        out.stderr.contains("serve --demo reads no configuration")
            && out.stderr.contains(&config_flag(&env)),
        "{}",
        out.stderr
    );
    // Without --config the demo is not refused: it goes on to take its port (held here, so
    // that it stops there instead of serving).
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = held.local_addr().unwrap().to_string();
    let mut cmd = env.cmd(&[]);
    cmd.cmd.args(["serve", "--demo", "--listen", &listen]);
    let out = cmd.run().expect(1);
    assert!(
        !out.stderr.contains("reads no configuration") && out.stderr.contains("port"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_help_says_an_explicit_color_flag_wins_over_no_color() {
    let env = Env::empty();
    let help = flat(&env.cmd(&["--help"]).run().expect(0).stdout);
    assert!(
        help.contains("`always` and `never` are obeyed whatever the environment says (an explicit flag wins over NO_COLOR"),
        "{help}"
    );
}

#[test]
fn a_page_number_too_large_is_said_to_be_too_large() {
    let env = Env::empty();
    for flag in ["--page", "--per-page", "--limit"] {
        let out = env
            .cmd(&["history", flag, "99999999999999999999"])
            .run()
            .expect(1);
        assert!(
            out.stderr.contains("'99999999999999999999' is too large"),
            "{flag}: {}",
            out.stderr
        );
    }
}

/// `rules check` and `rules test` use the configuration's `rules:` folder, as plan and apply
/// do, and say which folder they checked; `--rules` still wins.
#[test]
fn rules_commands_use_the_configured_folder_and_say_which() {
    let env = Env::empty();
    let mine = env.dir.path().join("mine");
    let mut init = env.cmd(&[]);
    init.cmd
        .args(["rules", "init", "--rules"])
        .arg(&mine)
        .arg("--config")
        .arg(env.config_path());
    let out = init.run().expect(0);
    // Its hints carry the --config they were given.
    assert!(
        out.stdout.contains(&format!(
            "crewsync {} rules test --rules {}",
            config_flag(&env),
            mine.display()
        )) && out.stdout.contains(&format!(
            "crewsync {} plan --direction smarthr-to-kot --rules",
            config_flag(&env)
        )),
        "{}",
        out.stdout
    );
    env.write_config("rules: mine\n");
    for (command, said) in [("check", "Checked"), ("test", "Tested")] {
        let mut cmd = env.cmd(&[]);
        cmd.cmd
            .args(["rules", command, "--config"])
            .arg(env.config_path());
        let out = cmd.run().expect(0);
        assert!(
            out.stdout.contains(&format!(
                "{said} the rules folder {} (the configuration's `rules:`).",
                mine.display()
            )),
            "{command}: {}",
            out.stdout
        );
    }
    // --rules wins over the configuration: ./rules does not exist, so the check fails there.
    let mut cmd = env.cmd(&[]);
    cmd.cmd
        .args(["rules", "check", "--rules", "elsewhere", "--config"])
        .arg(env.config_path());
    let out = cmd.run();
    assert!(
        out.all().contains("elsewhere") && !out.all().contains(&mine.display().to_string()),
        "{}",
        out.all()
    );
}

/// The hints of a rules error and of a misused history command name the --config given.
#[test]
fn hints_name_the_config_given() {
    let env = Env::empty();
    let dir = env.dir.path().join("broken");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("bad.rhai"), "fn office(e) {\n    let x = ;\n}\n").unwrap();
    let out = env
        .cmd(&plan_args(
            "smarthr-to-kot",
            &["--rules", dir.to_str().unwrap()],
        ))
        .run()
        .expect(1);
    assert!(
        out.stderr.contains(&format!(
            "crewsync {} rules check --rules {}",
            config_flag(&env),
            dir.display()
        )),
        "{}",
        out.stderr
    );
    // A command the library's own message names gets the --config too.
    let out = env.cmd(&["history", "show", "nosuch"]).run().expect(1);
    assert!(
        out.stderr.contains(&format!(
            "`crewsync {} history` lists the runs",
            config_flag(&env)
        )),
        "{}",
        out.stderr
    );
    let out = env
        .cmd(&["history", "--code", "0002", "employee", "0001"])
        .run()
        .expect(1);
    assert!(
        out.stderr.contains(&format!(
            "`crewsync {} history employee 0001`",
            config_flag(&env)
        )),
        "{}",
        out.stderr
    );
}

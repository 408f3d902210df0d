//! The terminal as a newcomer meets it (issue 18): tables that fit 80 and 200 columns and end
//! with a newline, global options before or after the command, hints that work when copied,
//! errors that say what is wrong, and the conventions of a CLI (completions, man page,
//! version, colour). Whole outputs are insta snapshots; run ids and clock times are redacted.

#[path = "support/sims.rs"]
#[allow(dead_code)] // shared with the client tests, which use the rest
mod sims;
mod util;

use serde_json::json;
use std::time::{Duration, Instant};
use unicode_width::UnicodeWidthStr;
use util::{
    Env, TO_KOT_DEFAULTS, apply_all_to_kot, apply_to_kot, apply_to_smarthr, crew, kot, plan_args,
    redact,
};

/// Every line fits `cols` terminal columns, and the text ends with a newline.
fn assert_fits(text: &str, cols: usize) {
    assert!(text.ends_with('\n'), "no final newline:\n{text}");
    for line in text.lines() {
        assert!(
            line.width() <= cols,
            "a line of {} columns in a {cols}-column table:\n{line}\n---\n{text}",
            line.width()
        );
    }
}

/// One employee of each kind, with a change long enough to wrap at 80 columns.
fn company() -> Env {
    Env::one_of_each("hanako.sato.with.a.rather.long.address@example.com")
}

#[test]
fn plan_apply_and_history_tables_fit_80_and_200_columns() {
    for cols in [80, 200] {
        let env = company();
        let width = cols.to_string();
        let plan = env
            .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
            .env("COLUMNS", &width)
            .run()
            .expect(0);
        assert_fits(&plan.stdout, cols);
        insta::assert_snapshot!(format!("plan_{cols}"), plan.stdout);

        let all = env
            .cmd(&plan_args("smarthr-to-kot", &["--all"]))
            .env("COLUMNS", &width)
            .run()
            .expect(0);
        assert!(all.stdout.contains("unchanged  "), "{}", all.stdout);
        assert!(!all.stdout.contains("not listed"), "{}", all.stdout);

        let apply = env
            .cmd(&apply_to_kot(&["--select", "all", "--yes"]))
            .env("COLUMNS", &width)
            .run()
            .expect(0);
        assert_fits(&apply.stdout, cols);
        insta::assert_snapshot!(format!("apply_{cols}"), redact(&apply.stdout));

        let history = env.cmd(&["history"]).env("COLUMNS", &width).run().expect(0);
        assert_fits(&history.stdout, cols);
        insta::assert_snapshot!(format!("history_{cols}"), redact(&history.stdout));

        let id = env
            .cmd(&["history", "--format", "json"])
            .run()
            .expect(0)
            .json()[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let show = env
            .cmd(&["history", "show", &id])
            .env("COLUMNS", &width)
            .run()
            .expect(0);
        assert_fits(&show.stdout, cols);
        insta::assert_snapshot!(format!("history_show_{cols}"), redact(&show.stdout));

        // The employee's timeline, with the values written.
        let timeline = env
            .cmd(&["history", "employee", "0002"])
            .env("COLUMNS", &width)
            .run()
            .expect(0);
        assert_fits(&timeline.stdout, cols);
        insta::assert_snapshot!(format!("history_employee_{cols}"), redact(&timeline.stdout));
    }
}

/// `--help` wraps to the terminal's width (COLUMNS through a pipe), at most 100 columns: at
/// 80 every line fits, and at 200 no line runs past 100 (a wide terminal still reads well).
#[test]
fn help_fits_80_columns_and_stops_at_100() {
    let env = Env::empty();
    for args in [&["--help"][..], &["plan", "--help"], &["history", "--help"]] {
        for (cols, fits) in [(80, 80), (200, 100)] {
            let out = env
                .cmd(args)
                .env("COLUMNS", &cols.to_string())
                .run()
                .expect(0)
                .stdout;
            assert_fits(&out, fits);
            let name = match args {
                ["--help"] => "help",
                ["plan", "--help"] => "plan_help",
                _ => continue,
            };
            insta::assert_snapshot!(format!("{name}_{cols}"), out);
        }
    }
}

/// Each `history` command's help and man page list only the options it takes: `show` a run
/// id and `--format`, not the list's filters; `employee` its own filters, not `--limit` or
/// `--code` (issue 18).
#[test]
fn history_commands_help_lists_only_the_options_each_takes() {
    let env = Env::empty();
    let help = |command: &str| {
        env.cmd(&["history", command, "--help"])
            .env("COLUMNS", "80")
            .run()
            .expect(0)
            .stdout
    };
    // Each of these takes a value: listed, it reads `--since <YYYY-MM-DD>`.
    let listed = |help: &str, flag: &str| help.contains(&format!("{flag} <"));
    let filters = [
        "--outcome",
        "--since",
        "--until",
        "--direction",
        "--page",
        "--per-page",
    ];
    let show = help("show");
    for flag in filters.iter().chain(&["--limit", "--code"]) {
        assert!(!listed(&show, flag), "{flag} in:\n{show}");
    }
    assert!(listed(&show, "--format"), "{show}");
    insta::assert_snapshot!("history_show_help", show);
    let employee = help("employee");
    for flag in filters {
        assert!(listed(&employee, flag), "{flag} missing from:\n{employee}");
    }
    for flag in ["--limit", "--code"] {
        assert!(!listed(&employee, flag), "{flag} in:\n{employee}");
    }
    insta::assert_snapshot!("history_employee_help", employee);
    let man = env.cmd(&["man", "history", "show"]).run().expect(0).stdout;
    assert!(!man.contains("\\-\\-outcome"), "{man}");
    assert!(man.contains("\\-\\-format"), "{man}");
}

#[test]
fn history_limit_0_lists_every_run() {
    let env = company();
    for i in 0..3 {
        // A new employee each time, so that every apply has something to write.
        env.crew(crew(&format!("010{i}"), "新人", "一郎", json!({})));
        env.cmd(&apply_to_kot(&["--select", "all", "--yes"]))
            .run()
            .expect(0);
    }
    let listed = |limit: &str| {
        env.cmd(&["history", "--limit", limit, "--format", "json"])
            .run()
            .expect(0)
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed("0"), 3);
    assert_eq!(listed("2"), 2);
}

/// Runs `line`, a command the tool printed, with bash in the test's folder and the binary
/// under test first on the PATH: as a person pastes it.
fn run_copied(env: &Env, line: &str) -> util::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_crewsync"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-c", line])
        .current_dir(env.dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1");
    util::TestCommand { cmd }.run()
}

/// A hint with a path that has a space in it still works when copied: the next page of the
/// history (the command as typed, filters and `--config` kept), and the commands `rules
/// init` names.
#[test]
fn hints_with_a_space_in_a_path_work_when_copied() {
    let env = company();
    let spaced = env.dir.path().join("my config.yaml");
    std::fs::copy(env.config_path(), &spaced).unwrap();
    for i in 0..2 {
        env.crew(crew(&format!("011{i}"), "新人", "一郎", json!({})));
        env.cmd(&apply_to_kot(&["--select", "all", "--yes"]))
            .run()
            .expect(0);
    }
    let mut cmd = env.cmd(&[]);
    cmd.cmd.args([
        "history",
        "--config",
        spaced.to_str().unwrap(),
        "--direction",
        "smarthr-to-kot",
        "--per-page",
        "1",
    ]);
    let first = cmd.run().expect(0).stdout;
    let next = first
        .lines()
        .skip_while(|l| !l.ends_with("next:"))
        .nth(1)
        .unwrap_or_else(|| panic!("no next page named:\n{first}"))
        .trim_start();
    assert!(next.contains(&format!("'{}'", spaced.display())), "{next}");
    let second = run_copied(&env, next).expect(0).stdout;
    assert!(
        second.contains("Page 2 of 2 (2 runs, 1 a page)"),
        "{second}"
    );
    assert_ne!(second.lines().nth(1), first.lines().nth(1), "another run");

    let init = env
        .cmd(&["rules", "init", "--rules", "my rules"])
        .run()
        .expect(0)
        .stdout;
    let test = init
        .lines()
        .find_map(|l| l.strip_prefix("  crewsync rules test"))
        .unwrap_or_else(|| panic!("no rules test named:\n{init}"));
    let out = run_copied(&env, &format!("crewsync rules test{test}")).expect(0);
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.all());
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let env = company();
    let config = env.config_path();
    let config = config.to_str().unwrap();
    let mut before = vec!["--config", config, "--color", "never"];
    before.extend(plan_args("smarthr-to-kot", &["--format", "json"]));
    let mut cmd = env.cmd(&[]);
    cmd.cmd.args(&before);
    // Each plan has its own id and time (and so its own checksum); the rest must be the same.
    let unstamped = |mut plan: serde_json::Value| {
        for stamp in ["plan_id", "made_at", "checksum"] {
            plan.as_object_mut().unwrap().remove(stamp);
        }
        plan
    };
    let plan = unstamped(cmd.run().expect(0).json());
    assert_eq!(plan["direction"], "smarthr-to-kot");

    let mut after = plan_args("smarthr-to-kot", &["--format", "json"]);
    after.extend(["--color", "never"]);
    assert_eq!(unstamped(env.cmd(&after).run().expect(0).json()), plan);

    // History too, on either side of `show`'s own arguments.
    let mut cmd = env.cmd(&[]);
    cmd.cmd
        .args(["history", "--config", config, "--limit", "0"]);
    assert!(cmd.run().expect(0).stdout.contains("No runs yet"));
}

#[test]
fn color_always_never_and_no_color() {
    let env = company();
    let args = plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS);
    let esc = "\u{1b}[";
    // `env.cmd` sets NO_COLOR; `keep_no_color: false` takes it away.
    let with = |extra: &[&str], keep_no_color: bool| {
        let mut a = args.clone();
        a.extend_from_slice(extra);
        let mut cmd = env.cmd(&a);
        if !keep_no_color {
            cmd.cmd.env_remove("NO_COLOR");
        }
        cmd.run().expect(0).stdout
    };
    assert!(with(&["--color", "always"], true).contains(esc));
    assert!(with(&["--color", "always"], false).contains(esc));
    assert!(!with(&["--color", "never"], false).contains(esc));
    // A pipe under `auto`, and NO_COLOR: no escape codes.
    assert!(!with(&[], false).contains(esc));
    assert!(!with(&[], true).contains(esc));
}

#[test]
fn completions_man_page_and_version() {
    let env = Env::empty();
    for (shell, marker) in [
        ("bash", "_crewsync()"),
        ("zsh", "#compdef crewsync"),
        ("fish", "complete -c crewsync"),
    ] {
        let out = env.cmd(&["completions", shell]).run().expect(0).stdout;
        assert!(out.contains(marker), "{shell}:\n{out}");
        // Generated from the same definitions: subcommands and global options are in it.
        assert!(out.contains("history") && out.contains("config"), "{out}");
    }
    let man = env.cmd(&["man"]).run().expect(0).stdout;
    assert!(man.contains("\n.TH crewsync 1 "), "{man}");
    assert!(
        man.contains("simulate") && man.contains("\\-\\-config"),
        "{man}"
    );

    let version = env.cmd(&["--version"]).run().expect(0).stdout;
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match git {
        Some(commit) => assert_eq!(
            version.trim(),
            format!("crewsync {} ({commit})", env!("CARGO_PKG_VERSION"))
        ),
        None => assert_eq!(
            version.trim(),
            format!("crewsync {}", env!("CARGO_PKG_VERSION"))
        ),
    }
}

/// The `.TH` title of a roff page, and the pages it refers to as `NAME(1)`.
fn man_title_and_references(page: &str) -> (String, Vec<String>) {
    let title = page
        .lines()
        .find_map(|l| l.strip_prefix(".TH "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no .TH line:\n{page}"))
        .to_string();
    let references = regex::Regex::new(r"(crewsync[a-z\\-]*)\(1\)")
        .unwrap()
        .captures_iter(page)
        .map(|c| c[1].replace("\\-", "-"))
        .collect();
    (title, references)
}

/// One manual page per command, as the top page's COMMANDS section promises
/// (crewsync-plan(1), ...): `man --out DIR` writes them all and every page a page names is
/// there; `man COMMAND...` prints one; a command that does not exist is named.
#[test]
fn a_man_page_for_every_command() {
    let env = Env::empty();
    let dir = env.dir.path().join("man1");
    let out = env
        .cmd(&["man", "--out", dir.to_str().unwrap()])
        .run()
        .expect(0);
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    // Every command and every command of a command, and no `help` page.
    for page in [
        "crewsync.1",
        "crewsync-plan.1",
        "crewsync-apply.1",
        "crewsync-history.1",
        "crewsync-history-show.1",
        "crewsync-history-employee.1",
        "crewsync-rules-init.1",
        "crewsync-rules-check.1",
        "crewsync-rules-test.1",
        "crewsync-watch.1",
        "crewsync-serve.1",
        "crewsync-simulate.1",
        "crewsync-demo.1",
        "crewsync-completions.1",
        "crewsync-man.1",
    ] {
        assert!(written.contains(&page.to_string()), "{page} in {written:?}");
    }
    assert!(!written.iter().any(|p| p.contains("help")), "{written:?}");
    assert!(
        out.stdout
            .contains(&format!("Wrote {} manual pages", written.len())),
        "{}",
        out.stdout
    );
    for file in &written {
        let page = std::fs::read_to_string(dir.join(file)).unwrap();
        let (title, references) = man_title_and_references(&page);
        assert_eq!(format!("{title}.1"), *file);
        // Each page names the program's version, not an empty one of its own.
        assert!(
            page.contains(&format!("\"crewsync {}", env!("CARGO_PKG_VERSION"))),
            "{file}:\n{page}"
        );
        for referenced in references {
            assert!(
                written.contains(&format!("{referenced}.1")),
                "{file} refers to {referenced}(1), which was not written"
            );
        }
    }
    // The top page refers to the others.
    let top = std::fs::read_to_string(dir.join("crewsync.1")).unwrap();
    assert!(
        man_title_and_references(&top)
            .1
            .contains(&"crewsync-plan".to_string()),
        "{top}"
    );

    // One page, printed: the same as the file.
    for (args, file) in [
        (&["man"][..], "crewsync.1"),
        (&["man", "plan"], "crewsync-plan.1"),
        (&["man", "history", "show"], "crewsync-history-show.1"),
    ] {
        let printed = env.cmd(args).run().expect(0).stdout;
        assert_eq!(
            printed,
            std::fs::read_to_string(dir.join(file)).unwrap(),
            "{args:?}"
        );
    }
    let plan = env.cmd(&["man", "plan"]).run().expect(0).stdout;
    assert!(plan.contains("\\-\\-direction"), "{plan}");

    let typo = env.cmd(&["man", "plna"]).run().expect(1);
    assert!(
        typo.stderr
            .contains("'plna' is not a command of crewsync (did you mean 'plan'?); its commands are: plan, apply"),
        "{}",
        typo.stderr
    );
    // No suggestion: no stray punctuation where it would be.
    let none = env.cmd(&["man", "nosuch"]).run().expect(1);
    assert!(
        none.stderr
            .contains("'nosuch' is not a command of crewsync; its commands are: plan, apply"),
        "{}",
        none.stderr
    );
    let typo = env.cmd(&["man", "history", "shw"]).run().expect(1);
    assert!(
        typo.stderr.contains(
            "'shw' is not a command of crewsync history (did you mean 'show'?); its commands are: show, employee"
        ),
        "{}",
        typo.stderr
    );
    let leaf = env.cmd(&["man", "plan", "extra"]).run().expect(1);
    assert!(
        leaf.stderr.contains("`crewsync man plan`"),
        "{}",
        leaf.stderr
    );
}

/// Who ran an apply, in the history, when cron set none of USER, USERNAME and LOGNAME: the
/// account the process runs as, as `id -un` names it, not "unknown".
#[test]
fn a_run_without_user_variables_is_recorded_under_the_os_account() {
    let env = company();
    let mut cmd = env.cmd(&apply_all_to_kot(&[]));
    for var in ["USER", "USERNAME", "LOGNAME"] {
        cmd.cmd.env_remove(var);
    }
    cmd.run().expect(0);
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id -un");
    let account = String::from_utf8_lossy(&id.stdout).trim().to_string();
    assert!(!account.is_empty());
    let runs = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(runs[0]["user"], account.as_str(), "{runs:#}");
    // The variables, when set, still name who ran it (a login name `sudo` keeps, ...).
    env.crew(crew("0104", "新人", "二郎", json!({})));
    env.cmd(&apply_all_to_kot(&[]))
        .env("USER", "tanaka")
        .run()
        .expect(0);
    let runs = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(runs[0]["user"], "tanaka", "{runs:#}");
}

/// `apply --format json` prints its report when there is nothing to do, as it does after a
/// write: a script reads one JSON object either way.
#[test]
fn apply_json_with_nothing_to_do_prints_the_report() {
    let env = company();
    env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    let again = env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    let report = again.json();
    assert_eq!(report["summary"]["created"], 0, "{report:#}");
    assert_eq!(report["summary"]["updated"], 0, "{report:#}");
    assert_eq!(report["summary"]["unchanged"], 3, "{report:#}");
    assert_eq!(report["results"], json!([]), "{report:#}");
    assert!(report["run_id"].is_string(), "{report:#}");
}

#[test]
fn a_404_on_a_list_says_the_base_url_is_wrong_for_both_services() {
    let env = company();
    let smarthr = env.sims.smarthr.base_url();
    let kot = env.sims.kot.base_url();
    let cases = [
        // SmartHR without /api, and with /api/v1 (the client appends /v1 itself).
        (
            smarthr.trim_end_matches("/api").to_string(),
            kot.clone(),
            "SmartHR",
            "/api",
        ),
        (format!("{smarthr}/v1"), kot.clone(), "SmartHR", "/api"),
        // KOT without /v1.0.
        (
            smarthr.clone(),
            kot.trim_end_matches("/v1.0").to_string(),
            "KING OF TIME",
            "/v1.0",
        ),
    ];
    for (smarthr_url, kot_url, service, suffix) in cases {
        std::fs::write(
            env.config_path(),
            format!(
                "smarthr:\n  base_url: {smarthr_url}\n  max_retries: 0\n\
                 kot:\n  base_url: {kot_url}\n  max_retries: 0\n\
                 maintenance_windows: []\n"
            ),
        )
        .unwrap();
        let out = env
            .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
            .run()
            .expect(1);
        let err = out.stderr;
        let base = if service == "SmartHR" {
            &smarthr_url
        } else {
            &kot_url
        };
        assert!(
            err.contains(&format!("{service} answered 404"))
                && err.contains("base_url is wrong")
                && err.contains(&format!("should end with {suffix}"))
                && err.contains(base.as_str()),
            "{err}"
        );
        assert!(!err.contains("check the employee code"), "{err}");
    }
}

#[test]
fn an_empty_token_is_reported_as_empty() {
    let env = company();
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .env("KOT_ACCESS_TOKEN", "  ")
        .run()
        .expect(1);
    assert!(
        out.stderr.contains("KOT_ACCESS_TOKEN is set but empty"),
        "{}",
        out.stderr
    );
    let mut cmd = env.cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS));
    cmd.cmd.env_remove("SMARTHR_ACCESS_TOKEN");
    let out = cmd.run().expect(1);
    assert!(
        out.stderr.contains("SMARTHR_ACCESS_TOKEN is not set"),
        "{}",
        out.stderr
    );
}

/// An empty `token_env` is the configuration's mistake, named with its key and line, not an
/// environment variable with a blank name that "is not set".
#[test]
fn an_empty_token_env_is_a_configuration_error() {
    let env = company();
    env.write_config("");
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let config = config.replacen("kot:\n", "kot:\n  token_env: \"\"\n", 1);
    std::fs::write(env.config_path(), &config).unwrap();
    let line = config
        .lines()
        .position(|l| l.contains("token_env"))
        .unwrap()
        + 1;
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .run()
        .expect(1);
    assert!(
        out.stderr
            .contains(&format!("kot.token_env (line {line}) is ''"))
            && out.stderr.contains("crewsync.yaml")
            && out.stderr.contains("KOT_ACCESS_TOKEN"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("variable  is"), "{}", out.stderr);
    assert_eq!(env.sims.kot.request_count(), 0);
}

/// `serve --listen` takes an IP:PORT and says so; a port in use names the way out.
#[test]
fn serve_names_a_bad_or_busy_listen_address() {
    let env = Env::empty();
    let out = env
        .cmd(&["serve", "--listen", "localhost:8766"])
        .run()
        .expect(1);
    assert!(
        out.stderr
            .contains("'localhost:8766' is not an IP:PORT address, e.g. 127.0.0.1:8766"),
        "{}",
        out.stderr
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = env.cmd(&["serve", "--listen", &addr]).run().expect(1);
    assert!(
        out.stderr.contains(&format!("could not listen on {addr}"))
            && out.stderr.contains("hint: ")
            && out.stderr.contains("choose another with --listen"),
        "{}",
        out.stderr
    );
    // With --demo too, and the port is checked first: no demo folder is left behind.
    let tmp = tempfile::tempdir().unwrap();
    env.cmd(&["serve", "--demo", "--listen", &addr])
        .env("TMPDIR", tmp.path().to_str().unwrap())
        .run()
        .expect(1);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `serve --demo` keeps its folder as `demo` does, and says where at the start (Ctrl-C ends it
/// with no closing words).
#[test]
fn serve_demo_says_where_its_folder_is() {
    use std::io::BufRead;
    let env = Env::empty();
    let mut running = env
        .cmd(&["serve", "--demo", "--listen", "127.0.0.1:0"])
        .spawn(std::process::Stdio::piped(), std::process::Stdio::null());
    let stdout = running.child().stdout.take().expect("piped stdout");
    let mut said = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("a line of stdout");
        said.push_str(&line);
        said.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    drop(running);
    let at = said
        .find("are kept in ")
        .unwrap_or_else(|| panic!("no folder named:\n{said}"))
        + "are kept in ".len();
    let dir = std::path::PathBuf::from(said[at..].split(" (").next().unwrap());
    assert!(dir.join("crewsync.yaml").is_file(), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A pasted line break in a token is named before any request (which would otherwise fail
/// as if the connection broke), and the token is not shown.
#[test]
fn a_token_with_a_line_break_is_named_before_any_request() {
    let env = company();
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .env("SMARTHR_ACCESS_TOKEN", "sim-smarthr-token\nsecond-line")
        .run()
        .expect(1);
    assert!(
        out.stderr
            .contains("SMARTHR_ACCESS_TOKEN holds a character no SmartHR access token has (a line break at character 18)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("second-line"), "{}", out.stderr);
    assert!(!out.stderr.contains("broke"), "{}", out.stderr);
}

/// A mistyped `history:` folder is an error, not a second history with a second lock.
#[test]
fn a_history_folder_that_does_not_exist_is_refused() {
    let env = company();
    env.write_config("history: nodir/sub/crewsync.db\n");
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    assert!(
        out.stderr
            .contains("nodir/sub of the history database does not exist"),
        "{}",
        out.stderr
    );
    assert!(!env.dir.path().join("nodir").exists());
    assert!(env.kot_with_code("0003").is_empty(), "nothing was written");
}

#[test]
fn simulate_on_a_busy_port_names_the_port_and_the_simulator() {
    let env = Env::empty();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let out = env
        .cmd(&["simulate", "--smarthr-port", &free, "--kot-port", &port])
        .run()
        .expect(1);
    assert!(
        out.stderr.contains(&format!(
            "the KING OF TIME simulator cannot listen on 127.0.0.1:{port}"
        )) && out.stderr.contains("--kot-port"),
        "{}",
        out.stderr
    );
}

#[test]
fn rules_init_check_and_test_output() {
    let env = Env::empty();
    let init = env
        .cmd(&["rules", "init", "--rules", "my-rules"])
        .run()
        .expect(0);
    insta::assert_snapshot!("rules_init", init.stdout);
    // Every command the output names works as shown.
    let check = env
        .cmd(&["rules", "check", "--rules", "my-rules"])
        .run()
        .expect(0);
    insta::assert_snapshot!("rules_check", check.stdout);
    let test = env
        .cmd(&["rules", "test", "--rules", "my-rules"])
        .run()
        .expect(0);
    insta::assert_snapshot!("rules_test", test.stdout);

    std::fs::write(
        env.dir.path().join("my-rules/60_broken.rhai"),
        "fn office(e, direction) { e.ofice }\n",
    )
    .unwrap();
    let broken = env
        .cmd(&["rules", "check", "--rules", "my-rules"])
        .run()
        .expect(1);
    insta::assert_snapshot!("rules_check_broken", broken.stderr);
}

#[test]
fn the_demo_s_closing_hints_work_when_copied() {
    let env = Env::empty();
    let out = env.cmd(&["demo"]).env("COLUMNS", "80").run().expect(0);
    // What the demo says, its plans and its hints, reads at 80 columns.
    assert_fits(&out.stdout, 80);
    // The closing hints: `- what:` and the command on the next line, indented.
    let all = out.all();
    let hints: Vec<&str> = all
        .lines()
        .filter_map(|l| l.strip_prefix("    crewsync "))
        .collect::<Vec<_>>();
    assert_eq!(hints.len(), 3, "{}", out.all());
    // The demo keeps its folder for these hints; the test removes it afterwards.
    let kept = hints[0]
        .split_whitespace()
        .nth(1)
        .and_then(|config| std::path::Path::new(config).parent())
        .expect("the first hint names the demo's configuration")
        .to_path_buf();
    assert!(kept.join("crewsync.db").exists(), "{}", kept.display());
    for hint in &hints {
        let args: Vec<&str> = hint.split_whitespace().collect();
        let mut cmd = env.cmd(&[]);
        cmd.cmd.args(&args);
        let run = cmd.run().expect(0);
        assert!(!run.stdout.contains("No runs"), "{hint}:\n{}", run.stdout);
    }
    // The apply names its run, and the command that shows it on the next line.
    let recorded = out
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("Recorded as run"))
        .nth(1)
        .and_then(|l| l.strip_prefix("  crewsync "))
        .expect("the apply names its run");
    let mut cmd = env.cmd(&[]);
    cmd.cmd.args(recorded.split_whitespace());
    let shown = cmd.run();
    std::fs::remove_dir_all(&kept).unwrap();
    assert!(shown.expect(0).stdout.contains("Run:"));
}

/// `crewsync apply` without `--select` in a real terminal (a tmux pane of 100×40 unless
/// [`Pane::start_at`] says), so that dialoguer draws the tick list as a person sees it.
struct Pane {
    socket: String,
}

impl Pane {
    fn start(env: &Env, args: &[&str]) -> Pane {
        Pane::start_at(env, args, 100)
    }

    fn start_at(env: &Env, args: &[&str], cols: u16) -> Pane {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("crewsync-test-{}-{n}", std::process::id());
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        // The shell traps Ctrl-C (SIGINT reaches the whole foreground group) so that it
        // outlives crewsync and prints its exit status; crewsync gets the default handling.
        let script = format!(
            "trap : INT; cd '{dir}' && SMARTHR_ACCESS_TOKEN={s} KOT_ACCESS_TOKEN={k} NO_COLOR=1 '{bin}' {args} --config '{config}'; echo EXIT=$?; sleep 60",
            dir = env.dir.path().display(),
            s = crewsync::sim::SMARTHR_TOKEN,
            k = crewsync::sim::KOT_TOKEN,
            bin = env!("CARGO_BIN_EXE_crewsync"),
            args = quoted.join(" "),
            config = env.config_path().display(),
        );
        let ok = std::process::Command::new("tmux")
            .args([
                "-u",
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                &cols.to_string(),
                "-y",
                "40",
            ])
            .arg(&script)
            .env("LANG", "C.UTF-8")
            .status()
            .expect("tmux runs (the terminal tests need it: apt-get install tmux)");
        assert!(ok.success());
        Pane { socket }
    }

    fn screen(&self) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .expect("tmux capture-pane");
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n").trim_end().to_string()
    }

    /// The screen once it shows `needle`.
    fn wait_for(&self, needle: &str) -> String {
        for _ in 0..300 {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the terminal never showed {needle:?}:\n{}", self.screen());
    }

    /// Everything the pane printed, scrolled off or not, with lines the terminal wrapped
    /// joined again.
    fn everything(&self) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-S", "-"])
            .output()
            .expect("tmux capture-pane");
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n")
    }

    /// Whether the terminal shows its cursor now.
    fn cursor_shown(&self) -> bool {
        let out = std::process::Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display-message",
                "-p",
                "#{cursor_flag}",
            ])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    fn keys(&self, keys: &[&str]) {
        let ok = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn the_tick_list_shows_changes_says_its_keys_and_esc_cancels() {
    let env = company();
    let args = apply_to_kot(&[]);
    // At 80 columns: a label longer than the room is cut short, not wrapped.
    let pane = Pane::start_at(&env, &args, 80);
    let first = pane.wait_for("Tick the employees to sync");
    // The rows before the list are the plan table; the list starts at the key help.
    let list = &first[first.find("space ticks").expect("the keys are said")..];
    insta::assert_snapshot!("tick_list", list);
    // Lines the terminal wrapped, joined again: none was wider than the terminal.
    let joined = pane.everything();
    assert_fits(&format!("{}\n", joined.trim_end()), 80);
    pane.keys(&["Escape"]);
    let end = pane.wait_for("EXIT=");
    assert!(
        end.contains("Cancelled at the tick list; nothing was written."),
        "{end}"
    );
    // Declining is "stopped before the end": exit 1, as README's exit table says.
    assert!(end.contains("EXIT=1"), "{end}");
    assert!(env.kot_with_code("0003").is_empty(), "Esc wrote nothing");

    // Other keys tick nothing: after `x` and `z`, enter goes on with the rows as they were,
    // and the choice is echoed as a count.
    let pane = Pane::start(&env, &args);
    pane.wait_for("Tick the employees to sync");
    pane.keys(&["x", "z", "Space", "Enter"]);
    let confirm = pane.wait_for("Write 1 employee(s)");
    assert!(
        confirm.contains("Tick the employees to sync: 1 of 2 ticked."),
        "{confirm}"
    );
    pane.keys(&["n", "Enter"]);
    let end = pane.wait_for("EXIT=");
    assert!(
        end.contains("Cancelled at the confirmation; nothing was written."),
        "{end}"
    );
    assert!(end.contains("EXIT=1"), "{end}");
}

/// A person who leaves an interactive apply open at the tick list does not block the nightly
/// run (issue 14, item 6): the run lock is taken when writing begins, not while choosing.
#[test]
fn an_apply_left_open_at_the_tick_list_does_not_block_the_nightly_run() {
    let env = company();
    let pane = Pane::start(&env, &apply_to_kot(&[]));
    pane.wait_for("Tick the employees to sync");
    let nightly = env.cmd(&apply_all_to_kot(&[])).run().expect(0).json();
    assert_eq!(nightly["summary"]["created"], 1, "{nightly:#}");
    assert_eq!(env.kot_with_code("0003").len(), 1);
    pane.keys(&["Escape"]);
    let end = pane.wait_for("EXIT=");
    assert!(end.contains("EXIT=1"), "{end}");
}

/// Issue 14 item 8: a second Ctrl-C while a write is in flight abandons it. The terminal is
/// restored, the run is recorded as stopped by the user, the abandoned employee is reported as
/// not attempted with its outcome unknown, the rest as not attempted, and the summary says
/// what was written and that the same apply run again finishes the rest; it does.
#[test]
fn a_second_ctrl_c_abandons_the_write_in_flight() {
    let env = Env::empty();
    for (code, first) in [("0901", "一"), ("0902", "二"), ("0903", "三")] {
        env.crew(crew(code, "中断", first, json!({})));
    }
    // The first write is answered at once; every later one is held a minute.
    env.sims
        .kot
        .faults()
        .delay_writes(1, Duration::from_secs(60));
    let pane = Pane::start(&env, &apply_to_kot(&["--select", "all", "--yes"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.sims.kot.faults().writes_delayed() == 0 {
        assert!(
            Instant::now() < deadline,
            "no write was held:\n{}",
            pane.everything()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    pane.keys(&["C-c"]);
    pane.wait_for("Ctrl-C again abandons it");
    pane.keys(&["C-c"]);
    pane.wait_for("EXIT=");
    let all = pane.everything();
    assert!(all.contains("EXIT=130"), "{all}");
    assert!(pane.cursor_shown(), "the cursor is shown again:\n{all}");
    assert!(
        all.contains(
            "Stopped by Ctrl-C: 1 written, 0 failed, 2 not attempted (among them 0902, whose write was abandoned in flight: whether KING OF TIME applied it is unknown, and the next apply re-checks it). Running the same apply again finishes the rest."
        ),
        "{all}"
    );
    assert_eq!(env.kot_with_code("0901").len(), 1);
    assert!(env.kot_with_code("0903").is_empty(), "nothing after 0902");

    let listed = env.cmd(&["history"]).run().expect(0).stdout;
    assert!(listed.contains("stopped"), "{listed}");
    let run = regex::Regex::new(r"\d{8}-\d{6}-[0-9a-f]{4}")
        .unwrap()
        .find(&listed)
        .unwrap_or_else(|| panic!("no run id in:\n{listed}"))
        .as_str();
    let shown = env.cmd(&["history", "show", run]).run().expect(0).stdout;
    for expected in [
        "stopped by the user (Ctrl-C) while employee 0902 was being written",
        "abandoned by a second Ctrl-C while its write was in flight: its outcome is unknown",
        "0903",
    ] {
        assert!(shown.contains(expected), "{expected}:\n{shown}");
    }

    env.sims.kot.faults().clear();
    let rerun = env.cmd(&apply_all_to_kot(&[])).run().expect(0).json();
    assert_eq!(rerun["summary"]["not_attempted"], 0, "{rerun:#}");
    for code in ["0901", "0902", "0903"] {
        assert_eq!(env.kot_with_code(code).len(), 1, "{code}");
    }
}

/// Issue 14 item 5: against a closed port, each connection retry is shown on the terminal
/// with the budget it is retried within, then the error names the URL and what to check, and
/// `plan` exits 1 ("could not run").
#[test]
fn each_connection_retry_is_shown_and_the_error_names_the_url() {
    let env = Env::empty();
    let port = sims::closed_port();
    std::fs::write(
        env.config_path(),
        format!(
            "smarthr:\n  base_url: http://127.0.0.1:{port}/api\n  max_retries: 10\n  connect_budget_seconds: 2\n\
             kot:\n  base_url: {}\n  max_retries: 0\n\
             maintenance_windows: []\n",
            env.sims.kot.base_url()
        ),
    )
    .unwrap();
    let pane = Pane::start(&env, &plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS));
    pane.wait_for("EXIT=");
    let all = pane.everything();
    assert!(all.contains("EXIT=1"), "{all}");
    let lines: Vec<&str> = all.lines().collect();
    let retries: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("retrying in"))
        .collect();
    assert!(retries.len() >= 2, "{all}");
    for &i in &retries {
        assert!(
            lines[i].contains(&format!(
                "could not connect to SmartHR at http://127.0.0.1:{port}/api"
            )) && lines[i].contains("(for up to 2.0 s in all)"),
            "{}",
            lines[i]
        );
    }
    let error = lines
        .iter()
        .position(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error:\n{all}"));
    assert!(
        error > *retries.last().unwrap(),
        "the error comes last:\n{all}"
    );
    let error = lines[error..].join("\n");
    assert!(
        error.contains(&format!("127.0.0.1:{port}")) && error.contains("check the base_url"),
        "{error}"
    );
}

/// Issue 15 item 2: while an exhausted request budget holds every write, the writing bar's ETA
/// counts the pause, where a pace-only estimate would promise the rest in a moment. kot-to-
/// smarthr into a SmartHR whose budget of 8 requests per minute runs out part-way.
#[test]
fn the_eta_counts_a_budget_pause() {
    let env = Env::empty();
    for i in 1..=7 {
        env.kot_employee(kot(
            &format!("{i:04}"),
            "予算",
            &format!("{i}号"),
            json!({}),
        ));
    }
    env.sims.smarthr.set_limits(crewsync::sim::SimLimits {
        per_window: Some(8),
        window_seconds: Some(60),
        ..Default::default()
    });
    let pane = Pane::start(
        &env,
        &apply_to_smarthr(&["--select", "all", "--yes", "--wait"]),
    );
    pane.wait_for("request budget is used up; pausing all its requests");
    // The bar is redrawn every second.
    std::thread::sleep(Duration::from_millis(1500));
    let screen = pane.screen();
    let bar = screen
        .lines()
        .find(|l| l.starts_with("writing") && l.contains("/7"))
        .unwrap_or_else(|| panic!("no writing bar:\n{screen}"));
    let eta = regex::Regex::new(r"/7 (\d+(?:\.\d)?) (s|min)$").unwrap();
    let c = eta
        .captures(bar)
        .unwrap_or_else(|| panic!("no ETA on {bar:?}"));
    let secs = c[1].parse::<f64>().unwrap() * if &c[2] == "min" { 60.0 } else { 1.0 };
    assert!(
        secs >= 20.0,
        "the ETA leaves out the pause: {bar:?}\n{screen}"
    );
}

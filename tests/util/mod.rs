//! Test harness in the style of ripgrep's `tests/util.rs`: run the real `crewsync` binary in a
//! temporary folder against simulators started in the test process, and print everything when
//! an expectation fails.

#![allow(dead_code)] // each test file uses a different part of the harness

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use crewsync::sim::{self, Company, SimConfig, Simulators};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The reference date of every CLI test that does not test dates.
pub const AS_OF: &str = "2026-04-01";

/// The office and employment type a smarthr-to-kot run gives new employees.
pub const TO_KOT_DEFAULTS: [&str; 4] = ["--office", "本社", "--employment-type", "正社員"];

/// `plan --direction <direction> --as-of AS_OF`, then `extra`.
pub fn plan_args<'a>(direction: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["plan", "--direction", direction, "--as-of", AS_OF];
    args.extend_from_slice(extra);
    args
}

/// `apply --direction smarthr-to-kot --as-of AS_OF` with [`TO_KOT_DEFAULTS`], then `extra`
/// (the selection, `--yes`, ...).
pub fn apply_to_kot<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["apply", "--direction", "smarthr-to-kot", "--as-of", AS_OF];
    args.extend_from_slice(&TO_KOT_DEFAULTS);
    args.extend_from_slice(extra);
    args
}

/// `apply --direction kot-to-smarthr --as-of AS_OF`, then `head`, then `extra`.
fn to_smarthr<'a>(head: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["apply", "--direction", "kot-to-smarthr", "--as-of", AS_OF];
    args.extend_from_slice(head);
    args.extend_from_slice(extra);
    args
}

/// `apply --direction kot-to-smarthr --as-of AS_OF --office 本社`, then `extra`.
pub fn apply_to_smarthr<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    to_smarthr(&["--office", "本社"], extra)
}

/// [`apply_to_kot`] of every valid row, unattended, reporting JSON; then `extra`.
pub fn apply_all_to_kot<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = apply_to_kot(&["--select", "all", "--yes", "--format", "json"]);
    args.extend_from_slice(extra);
    args
}

/// Every valid row into SmartHR, unattended, reporting JSON; then `extra`.
pub fn apply_all_to_smarthr<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    to_smarthr(&["--select", "all", "--yes", "--format", "json"], extra)
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("test dates are valid")
}

/// Noon JST on `day`: outside KOT's access windows.
pub fn noon(day: NaiveDate) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
}

/// Simulators plus a config file pointing at them, in a temporary folder.
pub struct Env {
    pub sims: Simulators,
    pub dir: tempfile::TempDir,
    // Declared last so the servers stop before the runtime that drives them.
    rt: tokio::runtime::Runtime,
}

impl Env {
    /// An empty company (offices and types exist, no employees), KOT clock at noon, no rate
    /// limits, no maintenance-window guard.
    pub fn empty() -> Env {
        Env::with(SimConfig {
            company: Company::empty(),
            kot_clock: Some(noon(date("2026-04-01"))),
            rate_limits: false,
            limits: Default::default(),
        })
    }

    /// One employee of each kind for smarthr-to-kot: 0001 unchanged, 0002 changed (its
    /// reading, and its email to `email`), 0003 new, 0004 invalid (no gender).
    pub fn one_of_each(email: &str) -> Env {
        let env = Env::empty();
        env.crew(crew("0001", "山田", "太郎", json!({})));
        env.kot_employee(kot("0001", "山田", "太郎", json!({})));
        env.crew(crew(
            "0002",
            "佐藤",
            "花子",
            json!({"email": email, "last_name_yomi": "サトウ"}),
        ));
        env.kot_employee(kot("0002", "佐藤", "花子", json!({})));
        env.crew(crew("0003", "長谷川", "久美子", json!({})));
        env.crew(crew("0004", "性別", "未設定", json!({"gender": null})));
        env
    }

    pub fn sample() -> Env {
        Env::with(SimConfig {
            company: Company::sample(),
            kot_clock: Some(noon(sim::SAMPLE_AS_OF)),
            rate_limits: false,
            limits: Default::default(),
        })
    }

    pub fn with(config: SimConfig) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let sims = rt.block_on(sim::start(config)).expect("simulators start");
        let env = Env {
            sims,
            dir: tempfile::tempdir().expect("temp dir"),
            rt,
        };
        env.write_config("");
        env
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("crewsync.yaml")
    }

    /// Writes the config; `extra` is appended (YAML) for tests that need more keys.
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "smarthr:\n  base_url: {}\n  requests_per_second: 500\n  max_retries: 1\n\
             kot:\n  base_url: {}\n  requests_per_second: 500\n  max_retries: 1\n\
             maintenance_windows: []\n{extra}",
            self.sims.smarthr.base_url(),
            self.sims.kot.base_url()
        );
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// The configuration with the simulators' tokens, as the binary loads it: for tests that
    /// call the library (or the dashboard) directly.
    pub fn config(&self) -> crewsync::config::Config {
        let mut c = crewsync::config::Config::load(&self.config_path())
            .expect("the test configuration loads");
        c.smarthr.token_given = Some(crewsync::http::Secret::new(sim::SMARTHR_TOKEN));
        c.kot.token_given = Some(crewsync::http::Secret::new(sim::KOT_TOKEN));
        c
    }

    /// `crewsync ARGS --config <ours>` with the simulators' tokens in the environment.
    pub fn cmd(&self, args: &[&str]) -> TestCommand {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crewsync"));
        cmd.current_dir(self.dir.path())
            .args(args)
            .env("SMARTHR_ACCESS_TOKEN", sim::SMARTHR_TOKEN)
            .env("KOT_ACCESS_TOKEN", sim::KOT_TOKEN)
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            // Output goes to a pipe, whose width is COLUMNS or the default: the same whatever
            // width the shell running the tests exported. Tests of a width set it.
            .env_remove("COLUMNS")
            // Who ran it, as the history records it: one name whoever runs the tests, so
            // that what wraps around it wraps the same (snapshots redact the name itself).
            .env("USER", "tanaka");
        // `serve --demo` reads no configuration, and refuses a --config it would ignore.
        let demo = args.first() == Some(&"serve") && args.contains(&"--demo");
        if !args.is_empty()
            && !demo
            && !["demo", "simulate", "rules", "--help", "--version"].contains(&args[0])
        {
            cmd.arg("--config").arg(self.config_path());
        }
        TestCommand { cmd }
    }

    pub fn crew(&self, e: Value) {
        self.sims.smarthr.insert_crew(e);
    }

    pub fn kot_employee(&self, e: Value) {
        self.sims.kot.insert_employee(e);
    }

    /// Somebody edits the SmartHR crew `code` through the API (between a plan and its apply,
    /// say).
    pub fn edit_crew(&self, code: &str, field: crewsync::model::Field, value: &str) {
        let id = self.crews_with_code(code)[0]["id"]
            .as_str()
            .expect("crew id")
            .to_string();
        self.block_on(async {
            crewsync::smarthr::Client::new(
                &self.sims.smarthr.base_url(),
                crewsync::http::Secret::new(sim::SMARTHR_TOKEN),
                crewsync::http::Limits::smarthr_default(),
            )
            .expect("client")
            .update_crew(&id, &[(field, Some(value.to_string()))])
            .await
            .expect("edit crew")
        });
    }

    pub fn crews_with_code(&self, code: &str) -> Vec<Value> {
        self.sims
            .smarthr
            .crews()
            .into_iter()
            .filter(|c| c["emp_code"] == code)
            .collect()
    }

    pub fn kot_with_code(&self, code: &str) -> Vec<Value> {
        self.sims
            .kot
            .employees()
            .into_iter()
            .filter(|c| c["code"] == code)
            .collect()
    }

    /// `plan --direction <direction> --as-of AS_OF --format json`, then `extra`: the plan,
    /// after checking it exited 0.
    pub fn plan(&self, direction: &str, extra: &[&str]) -> Value {
        let mut args = plan_args(direction, &["--format", "json"]);
        args.extend_from_slice(extra);
        self.cmd(&args).run().expect(0).json()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

pub struct TestCommand {
    pub cmd: Command,
}

#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    command: String,
}

impl Output {
    /// Fails the test with the whole output when the exit status is not `code`.
    pub fn expect(self, code: i32) -> Output {
        assert_eq!(
            self.status, code,
            "\n`{}` exited {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.status, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `{}` is not JSON ({e}):\n{}\n--- stderr\n{}",
                self.command, self.stdout, self.stderr
            )
        })
    }

    /// Everything the command printed, for "never shows X" assertions.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The binary running in the background. Killed when dropped, also when the test fails half
/// way: left running, it would keep its connections to the simulators open and the test would
/// hang while they shut down, instead of failing.
pub struct Running(Option<std::process::Child>);

impl Running {
    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("still running")
    }

    /// Waits for the binary to exit by itself.
    pub fn wait_with_output(mut self) -> std::process::Output {
        let child = self.0.take().expect("still running");
        child.wait_with_output().expect("wait for crewsync")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl TestCommand {
    /// Starts the binary in the background with these stdout and stderr.
    pub fn spawn(mut self, stdout: Stdio, stderr: Stdio) -> Running {
        let child = self
            .cmd
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start crewsync");
        Running(Some(child))
    }

    pub fn env(mut self, k: &str, v: &str) -> TestCommand {
        self.cmd.env(k, v);
        self
    }

    pub fn run(mut self) -> Output {
        let command = format!("{:?}", self.cmd);
        let out = self.cmd.output().expect("run crewsync");
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            command,
        }
    }
}

/// A SmartHR crew as the API returns it, employed since 2020 unless `extra` says otherwise.
pub fn crew(code: &str, last: &str, first: &str, extra: Value) -> Value {
    let mut c = json!({
        "emp_code": code, "emp_status": "employed",
        "last_name": last, "first_name": first,
        "last_name_yomi": "テスト", "first_name_yomi": "タロウ",
        "gender": "male", "birth_at": "1990-04-01",
        "email": format!("{code}@example.com"),
        "entered_at": "2020-04-01", "resigned_at": null,
    });
    merge(&mut c, extra);
    c
}

/// A KOT employee as the API returns it (with every additional field), the same person as
/// [`crew`] gives for the same arguments.
pub fn kot(code: &str, last: &str, first: &str, extra: Value) -> Value {
    let mut e = json!({
        "code": code, "lastName": last, "firstName": first,
        "lastNamePhonetics": "テスト", "firstNamePhonetics": "タロウ",
        "gender": "male", "birthDate": "1990-04-01",
        "emailAddresses": [format!("{code}@example.com")],
        "hiredDate": "2020-04-01",
    });
    merge(&mut e, extra);
    e
}

fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(b), Value::Object(x)) = (base, extra) {
        for (k, v) in x {
            b.insert(k, v);
        }
    }
}

/// The `code` of each entry of `list` (plan rows, apply results), in order.
pub fn codes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list:\n{list:#}"))
        .iter()
        .map(|r| {
            r["code"]
                .as_str()
                .unwrap_or_else(|| panic!("no code in {r:#}"))
        })
        .collect()
}

/// The plan row for `code` in a `plan --format json` output.
pub fn row<'a>(plan: &'a Value, code: &str) -> &'a Value {
    plan["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == code))
        .unwrap_or_else(|| panic!("no row {code} in plan:\n{plan:#}"))
}

/// Output for a snapshot: run ids, wall-clock times and the OS user, which differ on every
/// run, replaced by text of their shape.
pub fn redact(text: &str) -> String {
    let id = regex::Regex::new(r"\d{8}-\d{6}-[0-9a-f]{4}").unwrap();
    let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?( JST)?").unwrap();
    let user = regex::Regex::new(r"by [^\s;]+").unwrap();
    // Replaced by text of the same width, so that columns stay aligned in the snapshots.
    let text = id.replace_all(text, "YYYYMMDD-HHMMSS-xxxx");
    let text = time.replace_all(&text, |c: &regex::Captures| {
        let shape = "YYYY-MM-DD HH:MM:SS JST";
        shape[..c[0].len()].to_string()
    });
    user.replace_all(&text, "by USER").into_owned()
}

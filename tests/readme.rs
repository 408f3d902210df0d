//! The README's commands run as written, in order, in a fresh folder (as ripgrep and cargo
//! test their docs): the `sh` blocks of README.md, then those of the README that `rules init
//! --rules my-rules` writes, then the cron lines, against the simulators the README starts.
//!
//! What the test changes, and only that: the binary under test is first on the PATH (the
//! README's `cargo install --path .` would put the same binary there, and takes minutes); the
//! simulators' default ports 8081/8082 become free ones, given to `simulate` explicitly, so that a `crewsync simulate` already running
//! on the machine does not answer instead; `watch`, which runs until Ctrl-C, gets Ctrl-C once
//! it says it is watching; `serve`, which also runs until Ctrl-C, listens on a free port and
//! gets Ctrl-C once it says it is ready; the cron lines' folder, `~/.cargo/bin/` and `...` tokens are filled
//! in, and their `notify-hr` is a shell function; the simulators' output goes to a file. Blocks marked `sh no-test` (building, testing and benchmarking the crate) are not run,
//! and the test checks that they hold only cargo commands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fenced block: its info string and its text.
struct Block {
    info: String,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown.lines() {
        match (current.as_mut(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                current = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                })
            }
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// The shell text of the runnable `sh` blocks, with the substitutions the module names.
fn runnable(markdown: &str, ports: (u16, u16)) -> String {
    let mut script = String::new();
    for block in blocks(markdown) {
        if block.info == "sh no-test" {
            for line in block.text.lines().filter(|l| !l.trim().is_empty()) {
                // Environment settings (`EMPLOYEES=1000 cargo test ...`) may come first.
                let command = line
                    .split(' ')
                    .find(|word| !word.contains('='))
                    .unwrap_or_default();
                assert!(
                    command == "cargo" || command == "./scripts/test",
                    "a `sh no-test` block may only build, test or benchmark the crate: {line}"
                );
            }
            continue;
        }
        if block.info != "sh" {
            continue;
        }
        for line in block.text.lines() {
            let line = adapt(line)
                .replace("8081", &ports.0.to_string())
                .replace("8082", &ports.1.to_string());
            script.push_str(&line);
            script.push('\n');
        }
    }
    script
}

/// One line of a block as the test runs it.
fn adapt(line: &str) -> String {
    let command = line.split(" #").next().unwrap_or_default().trim_end();
    if command.starts_with("crewsync simulate") {
        // Its output goes to a file (holding the test's pipe open, it would keep the test
        // waiting for ever), and its pid is kept so the test can stop it whatever happens.
        let foreground = command
            .strip_suffix('&')
            .expect("simulate runs in the background");
        assert!(!foreground.contains("-port"), "{line}");
        format!(
            "{foreground} --smarthr-port 8081 --kot-port 8082 > .simulators.out 2>&1 &\n\
             echo $! > .simulators.pid"
        )
    } else if command.starts_with("crewsync watch") {
        format!(
            "{command} > watch.out 2>&1 &\n\
             for _ in $(seq 300); do grep -q '^Watching' watch.out && break; sleep 0.1; done\n\
             kill -INT $!; wait $!\n\
             cat watch.out; grep -q '^Watching' watch.out"
        )
    } else if command.starts_with("crewsync serve") || command.contains(" crewsync serve ") {
        // The dashboard serves until Ctrl-C: started on a free port, it must say it is ready
        // (with its login link or password prompt), then it is stopped.
        let command = match command.find("--listen ") {
            Some(at) => {
                let rest = &command[at + "--listen ".len()..];
                let end = rest.find(' ').unwrap_or(rest.len());
                format!("{}--listen 127.0.0.1:0{}", &command[..at], &rest[end..])
            }
            None => format!("{command} --listen 127.0.0.1:0"),
        };
        format!(
            "{command} > serve.out 2>&1 &\n\
             for _ in $(seq 300); do grep -q 'Press Ctrl-C to stop' serve.out && break; sleep 0.1; done\n\
             kill -INT $!; wait $! || true\n\
             cat serve.out; grep -q 'Press Ctrl-C to stop' serve.out"
        )
    } else {
        line.to_string()
    }
}

/// The README's cron lines, every one of every `cron` block in order, as the test runs them
/// in `dir`. `notify-hr`, the README's stand-in for the reader's own alert, is a shell
/// function that leaves `notify-hr.out` behind.
fn cron_commands(markdown: &str, dir: &Path) -> String {
    let mut script = String::from("notify-hr() { echo pending >> notify-hr.out; }\n");
    let lines: Vec<String> = blocks(markdown)
        .into_iter()
        .filter(|b| b.info == "cron")
        .flat_map(|b| {
            b.text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(lines.len() >= 3, "the README's cron lines: {lines:?}");
    for line in lines {
        // Minute, hour, day, month, weekday: the rest is the command.
        let command = line
            .split_whitespace()
            .skip(5)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(command.contains("cd /srv/crewsync"), "{command}");
        script.push_str(
            &command
                .replace("/srv/crewsync", &dir.display().to_string())
                .replace("~/.cargo/bin/crewsync", "crewsync")
                .replace(
                    "SMARTHR_ACCESS_TOKEN=...",
                    "SMARTHR_ACCESS_TOKEN=sim-smarthr-token",
                )
                .replace("KOT_ACCESS_TOKEN=...", "KOT_ACCESS_TOKEN=sim-kot-token"),
        );
        script.push('\n');
    }
    script
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Stops the README's simulators when the test ends, passed or failed.
struct StopSimulators(PathBuf);

impl Drop for StopSimulators {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

/// Runs `script` with bash in `dir`, with the binary under test first on the PATH; fails the
/// test with everything it printed unless it exits 0.
fn bash(dir: &Path, script: &str) -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_crewsync"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // -m: background jobs get Ctrl-C (SIGINT) as in a terminal, and `kill %1` works.
    let full = format!("set -euxm -o pipefail\n{script}");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&full)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("SMARTHR_ACCESS_TOKEN")
        .env_remove("KOT_ACCESS_TOKEN")
        .output()
        .expect("bash runs");
    let text = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the README's commands failed ({}):\n--- script\n{full}\n--- stdout\n{text}",
        out.status
    );
    text
}

#[test]
fn the_readmes_commands_run_as_written_in_a_fresh_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _stop = StopSimulators(dir.path().join(".simulators.pid"));
    let ports = (free_port(), free_port());

    // Exported variables carry over to the second part as they would in one shell.
    let first = format!("{}\nexport -p > .env.sh\n", runnable(&readme, ports));
    let out = bash(dir.path(), &first);
    assert!(
        out.contains("Recorded as run"),
        "the walkthrough applied:\n{out}"
    );
    assert!(
        out.contains("started (JST)"),
        "history listed the run:\n{out}"
    );

    // The README that `rules init --rules my-rules` wrote, as a newcomer finds it.
    let written = std::fs::read_to_string(dir.path().join("my-rules/README.md"))
        .expect("the README's `rules init --rules my-rules` wrote my-rules/README.md");
    assert!(
        !written.contains("--rules rules"),
        "the written README names the folder it is in"
    );
    let second = format!(
        ". ./.env.sh\n{}\n{}\n",
        runnable(&written, ports),
        cron_commands(&readme, dir.path())
    );
    bash(dir.path(), &second);
    // The nightly apply, then the saved plan's apply: two runs, neither refused.
    let log = std::fs::read_to_string(dir.path().join("crewsync.log")).unwrap();
    assert_eq!(
        log.matches("Recorded as run").count(),
        2,
        "both cron applies ran:\n{log}"
    );
    assert!(!log.contains("error:"), "{log}");
    // The 18:45 plan saved what the night writes (the saved plan's apply read it).
    assert!(dir.path().join("tonight.json").is_file());
}

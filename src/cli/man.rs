//! `crewsync man`: the manual pages, generated from the same clap definitions as `--help`
//! (clap_mangen). One page per command, named as man(1) and packagers expect: `crewsync.1`,
//! `crewsync-plan.1`, `crewsync-history-show.1`, ... The top page's COMMANDS section refers
//! to the others as `crewsync-plan(1)`, so `--out DIR` writes every one of them.

use super::out::outln;
use super::{Cli, ManArgs, Status, VERSION};
use anyhow::{Context, bail};
use clap::CommandFactory;
use std::io::Write;

pub fn run(args: &ManArgs) -> anyhow::Result<Status> {
    let root = root();
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating {} for the manual pages", dir.display()))?;
            let pages = pages(&root);
            for page in &pages {
                let path = dir.join(page.get_filename());
                let mut file = std::fs::File::create(&path)
                    .with_context(|| format!("writing {}", path.display()))?;
                page.render(&mut file)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            outln!(
                "Wrote {} manual pages to {}: {}\nRead one with `man {}/crewsync.1`, or install them into a man1 folder (e.g. /usr/local/share/man/man1).",
                pages.len(),
                dir.display(),
                pages
                    .iter()
                    .map(clap_mangen::Man::get_filename)
                    .collect::<Vec<_>>()
                    .join(", "),
                dir.display()
            );
        }
        None => {
            let mut out = Vec::new();
            page(find(&root, &args.command)?.clone()).render(&mut out)?;
            match std::io::stdout().write_all(&out) {
                // `crewsync man | head` closes the pipe early: that is the reader's choice.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                written => written.context("writing the manual page")?,
            }
        }
    }
    Ok(Status::Done)
}

/// The whole command tree, built so that every command knows its page name
/// (`crewsync-history-show`); without clap's `help` command, which has no page of its own.
fn root() -> clap::Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

/// One command's page; every page names the same source, the version of the whole program.
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).source(format!("crewsync {VERSION}"))
}

/// Every page, the top one first, each command before its own commands.
fn pages(cmd: &clap::Command) -> Vec<clap_mangen::Man> {
    let mut all = vec![page(cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        all.extend(pages(sub));
    }
    all
}

/// The command `path` names (`["history", "show"]`), or the root for an empty path; a name
/// that is no command is an error listing the ones there are.
fn find<'a>(root: &'a clap::Command, path: &[String]) -> anyhow::Result<&'a clap::Command> {
    let mut cmd = root;
    for (depth, name) in path.iter().enumerate() {
        let names: Vec<&str> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(clap::Command::get_name)
            .collect();
        cmd = match cmd.find_subcommand(name) {
            Some(sub) => sub,
            None if names.is_empty() => bail!(
                "`{}` has no commands, so no page for '{name}': `crewsync man {}` prints its page",
                path[..depth].join(" "),
                path[..depth].join(" ")
            ),
            None => {
                let within = match depth {
                    0 => "crewsync".to_string(),
                    _ => format!("crewsync {}", path[..depth].join(" ")),
                };
                let meant = crewsync::suggest::did_you_mean(name, names.iter().copied())
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                bail!(
                    "'{name}' is not a command of {within}{meant}; its commands are: {}",
                    names.join(", ")
                )
            }
        };
    }
    Ok(cmd)
}

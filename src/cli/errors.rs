//! The one place the CLI renders an error for a person and maps it to an exit status: the
//! library's errors carry what they are ([`crewsync::error::Diagnostic`]); the words that
//! name this binary's flags are here, and nowhere in the library.

use super::Status;
use crewsync::error::{Advice, BadDate, Diagnostic, Input, Refused, Remedy, Wording};

/// The exit status of a command that ended in an error. Every error is "could not run, or
/// stopped before the end" (README, "Exit status"): a run whose employees failed ends in
/// [`Status::SomeFailed`] without an error, and Ctrl-C in [`Status::Interrupted`].
pub fn status(_error: &anyhow::Error) -> Status {
    Status::CouldNotRun
}

/// The error as a person reads it: the message chain without a backtrace, each message that
/// came from a flag prefixed with the flag, then what to do. Secrets are scrubbed here too, as
/// every error a person sees passes through.
pub fn render(e: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut remedy = None;
    for (i, link) in e.chain().enumerate() {
        let found = diagnostic(link);
        let said = with_config(&link.to_string());
        let text = match found.and_then(Diagnostic::input) {
            Some(input) => format!("{}: {said}", flag(input)),
            None => said,
        };
        if i == 0 {
            out = format!("error: {text}");
        } else if !out.contains(&text) {
            out.push_str(&format!("\n  caused by: {text}"));
        }
        remedy = remedy.or_else(|| found.and_then(Diagnostic::remedy));
    }
    if let Some(remedy) = remedy {
        out.push_str(&format!("\n  hint: {}", hint(&remedy)));
    }
    // Errors quote record values (a bad date, a name the server refused): each line is made
    // safe, keeping the line breaks of the hints; a token a server echoed is masked first.
    crewsync::text::safe_lines(&crewsync::redact::scrub(&out))
}

/// `message` with the `--config` this process was given in each crewsync command it names
/// (`` `crewsync history` ``): the library names commands without knowing the flags, and a
/// command copied from an error must find the same configuration. A command already naming
/// one, or one that reads no configuration, is left as it is.
fn with_config(message: &str) -> String {
    const COMMAND: &str = "`crewsync ";
    let config = super::given_config();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(COMMAND) {
        let (before, after) = rest.split_at(at + COMMAND.len());
        out.push_str(before);
        // `man`, `completions`, `demo` and `simulate` read no configuration.
        let reads_config = !["--config", "man", "completions", "demo", "simulate"]
            .iter()
            .any(|word| after.starts_with(word));
        if !config.is_empty() && reads_config {
            out.push_str(&config[1..]);
            out.push(' ');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The library's [`Diagnostic`] in an error chain link, if it is one of the library's errors:
/// the one place that knows them all (here, above every library module, so that none of them
/// imports another through it).
fn diagnostic<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a dyn Diagnostic> {
    macro_rules! any_of {
        ($($t:ty),* $(,)?) => {
            $(if let Some(d) = e.downcast_ref::<$t>() { return Some(d); })*
        };
    }
    any_of!(
        crewsync::config::ConfigError,
        crewsync::workflow::SyncError,
        crewsync::http::ApiError,
        crewsync::history::HistoryError,
        crewsync::plan::saved::SavedPlanError,
        crewsync::apply::SelectionError,
        crewsync::rules::ExamplesError,
        crewsync::rules::RulesError,
        crewsync::web::WebError,
        Refused,
        BadDate,
    );
    None
}

/// The flag an input is given with.
fn flag(input: Input) -> &'static str {
    match input {
        Input::Selection => "--select",
        Input::Office => "--office",
        Input::EmploymentType => "--employment-type",
        Input::ReferenceDate => "--as-of",
        Input::PublicUrl => "--public-url",
    }
}

/// A remedy in this binary's terms.
fn hint(remedy: &Remedy) -> String {
    match remedy {
        Remedy::ConfigFile(path) => format!(
            "pass --config PATH, or create {} (see the README's 'Configuration' section)",
            path.display()
        ),
        Remedy::Force => format!("check the direction and --as-of with `crewsync{} plan`; if this is intended, add --force", super::given_config()),
        Remedy::WaitForBudget => "add --wait to let the apply pause for the reset and finish, or select fewer employees".into(),
        Remedy::WaitForReset => "run again after the reset, or add --wait to pace across it".into(),
        Remedy::SelectAndConfirm => "add --select all (or auto, or CODE,CODE,...) and --yes".into(),
        Remedy::Confirm => "add --yes to confirm without a terminal".into(),
        Remedy::OtherRulesFolder => "choose a new folder with --rules DIR, or move the existing file away".into(),
        Remedy::SavedPlanFile => "pass the file `crewsync plan --out PLAN.json` wrote".into(),
        Remedy::SavePlan(path) => format!("save a plan there first: {}", plan_again(path)),
        Remedy::PlanAgain(path) => format!("make the plan again with this crewsync: {}", plan_again(path)),
        Remedy::FreshPlan(path) => format!("make a fresh plan: {}; or, if a plan this old is still right, raise plan_max_age_hours in the configuration", plan_again(path)),
        Remedy::PlanUnedited(path) => format!("do not edit a saved plan: make it again ({}), and choose the employees to write with apply --select", plan_again(path)),
        Remedy::ShowStatus(status) => format!("add {status} to --status, or leave the code out"),
        Remedy::NoEmploymentType => "remove --employment-type, or decide the type in a rule".into(),
        Remedy::OtherAddress => "another program (or another crewsync serve) uses this port: choose another with --listen, e.g. --listen 127.0.0.1:8766".into(),
        Remedy::AfterWindow { reopens, windows } => format!(
            "run again after {reopens} (apply --wait waits for it), or schedule runs outside {}; if these are not KING OF TIME's windows, change maintenance_windows in the configuration",
            windows.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
        ),
    }
}

/// How to save a plan to `path` again: the person's own `crewsync plan` command (its
/// direction, date and defaults are theirs to give, so none is guessed here), with the flags
/// that save it where `apply --plan` reads it.
fn plan_again(path: &std::path::Path) -> String {
    format!(
        "run the same `crewsync plan` command as before, adding{} --out {}",
        super::given_config(),
        super::shell_word(&path.display().to_string())
    )
}

/// This binary's words for the advice in the texts the library keeps (a row's problem, a clear
/// held back, a stopped run): given to every plan the CLI makes or reads, so that its table,
/// JSON, saved file, report, history and email name the flags. The dashboard's plans keep the
/// library's own words.
pub const WORDS: Wording = Wording::new(advice);

/// Advice in this binary's terms.
fn advice(advice: &Advice) -> String {
    match advice {
        Advice::DefaultOffice => "pass --office or decide it in a rule".into(),
        Advice::DefaultEmploymentType => "pass --employment-type or decide it in a rule".into(),
        Advice::AllowClear(fields) => format!(
            "check the token's permissions; to clear it anyway, pass {}",
            fields
                .iter()
                .map(|f| format!("--allow-clear {}", f.name()))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Advice::ApplyAgain => {
            "run the same apply again (with --wait for an access window) to do the rest".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{diagnostic, render};
    use crewsync::apply::SelectionError;
    use crewsync::error::{BadDate, Diagnostic, Input, Refused, Remedy};
    use crewsync::plan::saved::SavedPlanError;
    use std::path::PathBuf;

    /// The library's advice reads in the CLI's output as it did before it was data.
    #[test]
    fn advice_is_worded_with_the_flags() {
        use crewsync::error::Advice;
        use crewsync::model::Field;
        assert_eq!(
            super::advice(&Advice::DefaultOffice),
            "pass --office or decide it in a rule"
        );
        assert_eq!(
            super::advice(&Advice::DefaultEmploymentType),
            "pass --employment-type or decide it in a rule"
        );
        assert_eq!(
            super::advice(&Advice::AllowClear(vec![Field::Email, Field::BirthDate])),
            "check the token's permissions; to clear it anyway, pass --allow-clear email --allow-clear birth_date"
        );
        assert_eq!(
            super::advice(&Advice::ApplyAgain),
            "run the same apply again (with --wait for an access window) to do the rest"
        );
    }

    /// No library message names a command-line flag: what to do is a [`Remedy`] (and where a
    /// value came from an [`Input`]) that each front end words, and every kind here is one
    /// [`diagnostic`] knows.
    #[test]
    fn no_library_message_names_a_flag() {
        let path = PathBuf::from("plan.json");
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let errors: Vec<Box<dyn std::error::Error>> = vec![
            Box::new(crewsync::config::ConfigError::Read {
                path: path.clone(),
                source: io(),
            }),
            Box::new(crewsync::workflow::SyncError::EmploymentTypeNotForSmartHr),
            Box::new(SavedPlanError::Read {
                path: path.clone(),
                source: io(),
            }),
            Box::new(SavedPlanError::Parse {
                path: path.clone(),
                message: "expected value".into(),
                location: None,
            }),
            Box::new(SavedPlanError::Version {
                path: path.clone(),
                found: "99".into(),
            }),
            Box::new(SavedPlanError::TooOld {
                path: path.clone(),
                made_at: chrono::Utc::now(),
                age: 30.0,
                max: 24.0,
            }),
            Box::new(SelectionError::UnknownCode {
                code: "9".into(),
                suggestion: None,
            }),
            Box::new(SelectionError::NotShown {
                code: "9".into(),
                status: "unchanged",
            }),
            Box::new(SelectionError::Empty),
            Box::new(crewsync::rules::ExamplesError::Exists(path.clone())),
            Box::new(crewsync::web::WebError::BadPublicUrl("ftp://x".into())),
            Box::new(Refused::TooManyChanges {
                changes: 5,
                limit: 2,
                roster: 5,
            }),
            Box::new(Refused::BudgetShort {
                budget: "SmartHR's request budget has 3 left".into(),
            }),
            Box::new(Refused::NoSelection),
            Box::new(Refused::NoConfirmation {
                writes: 2,
                target: crewsync::model::Service::Kot,
            }),
            Box::new(BadDate("2026-13-45".into())),
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(!text.contains("--"), "a flag in: {text}");
            assert!(
                !text.contains("hint:"),
                "a hint worded in the library: {text}"
            );
            assert!(
                diagnostic(e.as_ref()).is_some(),
                "unknown to diagnostic: {text}"
            );
        }
    }

    #[test]
    fn errors_carry_their_value_input_remedy_and_place() {
        let e = SelectionError::NotShown {
            code: "0042".into(),
            status: "unchanged",
        };
        assert_eq!(e.value(), Some("0042"));
        assert_eq!(e.input(), Some(Input::Selection));
        assert_eq!(e.remedy(), Some(Remedy::ShowStatus("unchanged")));
        let max = Some(crewsync::config::MaxChanges::Count(2));
        let e = crewsync::config::MaxChanges::guard(max, 3, 10).unwrap_err();
        assert_eq!(e.remedy(), Some(Remedy::Force));
        assert!(crewsync::config::MaxChanges::guard(None, 3, 10).is_ok());
        assert!(crewsync::config::MaxChanges::guard(max, 2, 10).is_ok());
        let e = crewsync::config::Config::parse(
            std::path::Path::new("c.yaml"),
            "smarthr:\n  base_url: [\n",
        )
        .unwrap_err();
        let at = e.location().expect("a YAML error has a place");
        assert_eq!(at.file, PathBuf::from("c.yaml"));
        assert!(at.line.is_some(), "{at}");
    }

    /// A wrapper says what the error it wraps says: the workflow's refusals and configuration
    /// errors reach the person with their hint and place.
    #[test]
    fn the_workflow_error_delegates_to_what_it_wraps() {
        let refused = crewsync::workflow::SyncError::from(Refused::NoConfirmation {
            writes: 2,
            target: crewsync::model::Service::Kot,
        });
        assert_eq!(refused.remedy(), Some(Remedy::Confirm));
        assert!(render(&refused.into()).ends_with("hint: add --yes to confirm without a terminal"));
        let config = crewsync::workflow::SyncError::from(
            crewsync::config::Config::parse(
                std::path::Path::new("c.yaml"),
                "smarthr:\n  base_url: https://a.smarthr.jp/api\n  token_env: ''\n",
            )
            .unwrap_err(),
        );
        assert_eq!(config.value(), Some(""));
        assert_eq!(config.location().and_then(|l| l.line), Some(3));
    }

    #[test]
    fn the_cli_words_remedies_and_inputs_with_its_flags() {
        let e = anyhow::Error::from(Refused::TooManyChanges {
            changes: 5,
            limit: 2,
            roster: 5,
        });
        let text = render(&e);
        assert!(
            text.starts_with("error: apply would make 5 changes"),
            "{text}"
        );
        assert!(text.ends_with("\n  hint: check the direction and --as-of with `crewsync plan`; if this is intended, add --force"), "{text}");

        let text = render(
            &SelectionError::UnknownCode {
                code: "0042".into(),
                suggestion: None,
            }
            .into(),
        );
        assert!(
            text.starts_with("error: --select: employee code '0042' is not in the plan"),
            "{text}"
        );

        // A remedy deeper in the chain is still said, once, after the messages.
        let e = anyhow::Error::from(Refused::NoConfirmation {
            writes: 2,
            target: crewsync::model::Service::Kot,
        })
        .context("applying");
        let text = render(&e);
        assert!(
            text.starts_with("error: applying\n  caused by: apply would write 2"),
            "{text}"
        );
        assert_eq!(text.matches("hint:").count(), 1, "{text}");
        assert!(
            text.ends_with("hint: add --yes to confirm without a terminal"),
            "{text}"
        );
    }
}

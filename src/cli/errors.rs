//! The one place the CLI renders an error for a person and maps it to an exit status: the
//! library's errors carry what they are ([`crewsync::error::Diagnostic`]); the words that
//! name this binary's flags are here, and nowhere in the library.

use super::Status;
use crewsync::error::{Diagnostic, Input, Remedy, diagnostic};

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
        let text = match found.and_then(Diagnostic::input) {
            Some(input) => format!("{}: {link}", flag(input)),
            None => link.to_string(),
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
        Remedy::Force => "check the direction and --as-of with `crewsync plan`; if this is intended, add --force".into(),
        Remedy::WaitForBudget => "add --wait to let the apply pause for the reset and finish, or select fewer employees".into(),
        Remedy::WaitForReset => "run again after the reset, or add --wait to pace across it".into(),
        Remedy::SelectAndConfirm => "add --select all (or auto, or CODE,CODE,...) and --yes".into(),
        Remedy::Confirm => "add --yes to confirm without a terminal".into(),
        Remedy::OtherRulesFolder => "choose a new folder with --rules DIR, or move the existing file away".into(),
        Remedy::SavedPlanFile => "pass the file `crewsync plan --out` wrote".into(),
        Remedy::SavePlan(path) => format!("save a plan with `crewsync plan ... --out {}`", path.display()),
        Remedy::PlanAgain => "make the plan again with this crewsync (`crewsync plan ... --out`)".into(),
        Remedy::FreshPlan => "make a fresh plan with `crewsync plan ... --out`, or raise plan_max_age_hours in the configuration".into(),
        Remedy::ShowStatus(status) => format!("add {status} to --status, or leave the code out"),
        Remedy::NoEmploymentType => "remove --employment-type, or decide the type in a rule".into(),
        Remedy::AfterWindow { reopens, windows } => format!(
            "run again after {reopens}, or schedule runs outside {}",
            windows.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::render;
    use crewsync::apply::SelectionError;
    use crewsync::error::Refused;

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

        let text = render(&SelectionError::UnknownCode("0042".into()).into());
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

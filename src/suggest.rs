//! Naming what a person probably meant when a name they typed does not exist: a property in a
//! rule, a rules table, an office on the command line or from a rule.

/// The candidate nearest to a misspelt `name`, if one is near enough to be what was meant: one
/// edit per three characters typed, at least one (a swapped pair of letters counts as one), and
/// fewer edits than either name has characters. So `emial` means `email` and `本杜` means
/// `本社`, but `火星支社` does not "mean" `大阪支社`. Case is ignored.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let length = lower.chars().count();
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (length / 3).max(1) && *d < c.chars().count().min(length))
        .min()
        .map(|(_, c)| c)
}

/// "did you mean 'x'?" for the candidate [`closest`] to `name`, if any: the phrase every
/// message about a misspelt name ends with.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|meant| format!("did you mean '{meant}'?"))
}

#[cfg(test)]
mod tests {
    use super::{closest, did_you_mean};

    #[test]
    fn only_near_names_are_suggested() {
        let names = ["email", "code", "gender", "本社", "大阪支社"];
        assert_eq!(closest("emial", names), Some("email"));
        assert_eq!(closest("Code", names), Some("code"));
        assert_eq!(closest("本杜", names), Some("本社"));
        assert_eq!(closest("大坂支社", names), Some("大阪支社"));
        assert_eq!(closest("cd", names), None);
        assert_eq!(closest("火星支社", names), None);
        assert_eq!(closest("salary", names), None);
        assert_eq!(closest("x", []), None);
        assert_eq!(
            did_you_mean("emial", names).as_deref(),
            Some("did you mean 'email'?")
        );
    }
}

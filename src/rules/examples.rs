//! The example rules folder (`rules/` in the repository), built into the binary: the demo
//! plans with it, and `crewsync rules init` gives it to an integrator who has only the binary
//! as the working, tested starting point the README is written around.

use std::path::{Path, PathBuf};

/// Every file of `rules/`, by its path inside the folder. A test checks that this is exactly
/// what the repository's folder holds, so the two cannot drift apart.
pub const EXAMPLE_RULES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../rules/README.md")),
    ("10_scope.rhai", include_str!("../../rules/10_scope.rhai")),
    ("20_names.rhai", include_str!("../../rules/20_names.rhai")),
    (
        "30_offices.rhai",
        include_str!("../../rules/30_offices.rhai"),
    ),
    (
        "40_employment_types.rhai",
        include_str!("../../rules/40_employment_types.rhai"),
    ),
    ("50_select.rhai", include_str!("../../rules/50_select.rhai")),
    (
        "departments.yaml",
        include_str!("../../rules/departments.yaml"),
    ),
    ("divisions.yaml", include_str!("../../rules/divisions.yaml")),
    (
        "employment_types.yaml",
        include_str!("../../rules/employment_types.yaml"),
    ),
    (
        "tests/names.yaml",
        include_str!("../../rules/tests/names.yaml"),
    ),
    (
        "tests/offices.yaml",
        include_str!("../../rules/tests/offices.yaml"),
    ),
    (
        "tests/scope.yaml",
        include_str!("../../rules/tests/scope.yaml"),
    ),
    (
        "tests/select.yaml",
        include_str!("../../rules/tests/select.yaml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ExamplesError {
    #[error("{} already exists; nothing was written", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl crate::error::Diagnostic for ExamplesError {
    fn remedy(&self) -> Option<crate::error::Remedy> {
        match self {
            ExamplesError::Exists(_) => Some(crate::error::Remedy::OtherRulesFolder),
            ExamplesError::Write { .. } => None,
        }
    }
}

/// Writes the example rules into `dir` (created if need be) and returns the paths written.
/// Refuses before writing anything if one of the files is already there: an integrator's own
/// rules are never overwritten.
pub fn write_examples(dir: &Path) -> Result<Vec<PathBuf>, ExamplesError> {
    let paths: Vec<PathBuf> = EXAMPLE_RULES
        .iter()
        .map(|(name, _)| dir.join(name))
        .collect();
    if let Some(existing) = paths.iter().find(|p| p.exists()) {
        return Err(ExamplesError::Exists(existing.clone()));
    }
    // The README's commands name the folder they were written into, so that they run as shown
    // from where `rules init` was run (`--rules my-rules`, not the repository's `rules`).
    let readme_flag = format!("--rules {}", dir.display());
    for (path, (name, text)) in paths.iter().zip(EXAMPLE_RULES) {
        let text = if *name == "README.md" {
            text.replace("--rules rules", &readme_flag)
        } else {
            (*text).to_string()
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, text));
        written.map_err(|source| ExamplesError::Write {
            path: path.clone(),
            source,
        })?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file below `dir`, by its path inside it.
    fn files(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{prefix}{}", path.file_name().unwrap().to_string_lossy());
            if path.is_dir() {
                files(&path, &format!("{name}/"), out);
            } else {
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    #[test]
    fn the_built_in_examples_are_exactly_the_repository_folder() {
        let mut repository = Vec::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"),
            "",
            &mut repository,
        );
        repository.sort();
        let mut built_in: Vec<(String, String)> = EXAMPLE_RULES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        built_in.sort();
        assert_eq!(built_in, repository);
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mine");
        std::fs::create_dir_all(dir.join("tests")).unwrap();
        std::fs::write(dir.join("tests/select.yaml"), "my own").unwrap();
        let err = write_examples(&dir).unwrap_err();
        assert!(
            err.to_string()
                .contains("select.yaml already exists; nothing was written"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "only tests/ is there"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("tests/select.yaml")).unwrap(),
            "my own"
        );
    }
}

//! Records the git commit the binary is built from, for `crewsync --version`: a bug report
//! then names exactly what ran. Without git (a source tarball, a crate download) the version
//! line simply has no commit.

use std::process::Command;

fn main() {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=CREWSYNC_GIT_COMMIT={commit}");
    }
    // Rebuilt when HEAD moves: a checkout changes HEAD, a commit changes the branch's ref
    // (loose or packed), not on every build.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

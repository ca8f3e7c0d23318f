//! The outputs' checks, made when the plan is resolved and before anything
//! is measured or created: at most one output on stdout, every file's
//! folder there and the file not one `OutputPath::write` would refuse, every
//! folder one that can be made. Each refusal names the flag. Nothing is
//! created here: the run makes the folders when it starts.

use super::outputs::{OutputPlan, PlannedOutput, Shape};
use super::PlanError;
use std::path::Path;

/// Checks every output of `outputs`, naming the flag of the first refused.
pub fn check(outputs: &OutputPlan) -> Result<(), PlanError> {
    let on_stdout: Vec<&PlannedOutput> = outputs
        .files
        .iter()
        .filter(|o| o.kind.takes_stdout() && o.path.is_stdout())
        .collect();
    if let [first, second, ..] = on_stdout.as_slice() {
        return Err(PlanError::new(
            second.kind.flag,
            format!(
                "only one output can go to stdout (`-`): {} and {} both ask for it",
                first.kind.flag, second.kind.flag
            ),
        ));
    }
    for output in &outputs.files {
        let (path, flag) = (&output.path.path, output.kind.flag);
        match output.kind.shape {
            Shape::File if output.path.is_stdout() && output.kind.takes_stdout() => Ok(()),
            Shape::File => check_file(path, flag),
            Shape::Folder => check_folder(path, flag),
        }?;
    }
    Ok(())
}

/// The folder a file is to be written in must exist, and the path must not
/// be a folder or anything else `OutputPath::write` refuses.
pub fn check_file(path: &Path, flag: &'static str) -> Result<(), PlanError> {
    if path.is_dir() {
        let message = format!(
            "{flag} '{}' is a folder; it needs a file name",
            path.display()
        );
        return Err(PlanError::new(flag, message));
    }
    if let Err(why) = crate::output::writable_kind(path) {
        let message = format!("{flag} '{}' cannot be written: {why}", path.display());
        return Err(PlanError::new(flag, message));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match parent {
        Some(parent) if !parent.is_dir() => Err(PlanError::new(
            flag,
            format!(
                "{flag} '{}': the folder '{}' does not exist",
                path.display(),
                parent.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// A folder output must not be a file, and must be one that can be made:
/// the nearest part of its path that exists is a folder.
pub fn check_folder(dir: &Path, flag: &'static str) -> Result<(), PlanError> {
    if dir.exists() && !dir.is_dir() {
        let message = format!("{flag} '{}' is a file; it needs a folder", dir.display());
        return Err(PlanError::new(flag, message));
    }
    let existing = dir
        .ancestors()
        .skip(1)
        .find(|a| a.as_os_str().is_empty() || a.exists());
    match existing {
        Some(part) if !part.as_os_str().is_empty() && !part.is_dir() => Err(PlanError::new(
            flag,
            format!(
                "could not create the {flag} folder '{}': '{}' is a file",
                dir.display(),
                part.display()
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_in_missing_folders_are_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nodir").join("x.json");
        let err = check_file(&missing, "--json").unwrap_err().to_string();
        assert!(err.contains("--json") && err.contains("nodir"), "{err}");
        let err = check_file(dir.path(), "--csv").unwrap_err().to_string();
        assert!(err.contains("--csv") && err.contains("folder"), "{err}");
        check_file(&dir.path().join("x.json"), "--json").unwrap();
        check_file(Path::new("x.json"), "--json").unwrap();
    }

    #[test]
    fn folders_under_a_file_are_refused_and_new_ones_pass_without_being_made() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = check_folder(&file, "--charts").unwrap_err();
        assert_eq!(err.flag, "--charts");
        assert!(err.to_string().contains("is a file"), "{err}");
        let err = check_folder(&file.join("a").join("b"), "--flamegraph").unwrap_err();
        assert!(err.to_string().contains("--flamegraph"), "{err}");
        let new = dir.path().join("a").join("b");
        check_folder(&new, "--save-requests").unwrap();
        assert!(!new.exists(), "a check creates nothing");
        check_folder(Path::new("relative-new-folder"), "--charts").unwrap();
    }
}

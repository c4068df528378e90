//! `cargo xtask` works on the checkout it is run in, found from the current directory, not on
//! the one it was compiled from (two clones sharing a `CARGO_TARGET_DIR` share the binary).

use std::path::Path;
use std::process::Command;

fn xtask(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("xtask runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn another_checkout_is_checked_from_inside_it() {
    // A second checkout whose generated crate is missing.
    let clone = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        clone.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\n",
    )
    .unwrap();
    std::fs::create_dir_all(clone.path().join("spec")).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/classroom.yaml");
    std::fs::copy(spec, clone.path().join("spec/classroom.yaml")).unwrap();
    let inside = clone.path().join("classroom-api/src");
    std::fs::create_dir_all(&inside).unwrap();
    // Run from a subfolder: the root is found by walking up.
    let (code, stdout, stderr) = xtask(&inside, &["codegen", "--check"]);
    assert_eq!(code, 1, "the other checkout is stale\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("classroom-api/src/generated/types.rs"),
        "{stdout}"
    );
    // Writing goes to that checkout too.
    let (code, _, stderr) = xtask(&inside, &["codegen"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(inside.join("generated/types.rs").is_file());
    let (code, _, stderr) = xtask(&inside, &["codegen", "--check"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn outside_a_checkout_is_a_clear_error() {
    let elsewhere = tempfile::tempdir().expect("a temp dir");
    let (code, _, stderr) = xtask(elsewhere.path(), &["codegen", "--check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not inside a classroom-api checkout"),
        "{stderr}"
    );
}

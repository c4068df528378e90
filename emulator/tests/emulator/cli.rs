//! The binary: `classroom-emulator --port ... --app-id ... --certificate ...`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use classroom_emulator::{DEFAULT_APP_ID, DEFAULT_CERTIFICATE};

use crate::support::read;

/// Kills the child when the test ends, even on failure.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_url_and_credentials_and_serves() {
    let app_id = "abcdefabcdefabcdefabcdefabcdef12";
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_classroom-emulator"))
            .args(["--port", "0", "--app-id", app_id, "--record"])
            .args(["--fault", r#"{"operation":"listResources","times":1,"fault":{"type":"unavailable","retryAfter":1}}"#])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("text");
    let url = first
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    let rest: Vec<String> = lines.by_ref().take(2).map(|l| l.expect("text")).collect();
    assert!(rest[0].contains(app_id), "{rest:?}");
    assert!(rest[1].contains(DEFAULT_CERTIFICATE), "{rest:?}");
    assert_ne!(app_id, DEFAULT_APP_ID);
    let (status, _, info) = read(
        reqwest::get(format!("{url}/_emulator/info"))
            .await
            .expect("info"),
    )
    .await;
    assert_eq!(
        (status, info["data"]["appId"].as_str()),
        (200, Some(app_id))
    );
    assert_eq!(info["data"]["faults"], 1);
    assert_eq!(info["data"]["recordingResponses"], true);
    // The pipe stays open until the child is killed.
    drop(child);
    drop(lines);
}

#[test]
fn a_bad_certificate_or_fault_is_refused() {
    for args in [
        vec!["--port", "0", "--certificate", "short"],
        vec!["--port", "0", "--fault", "{not json"],
    ] {
        let status = Command::new(env!("CARGO_BIN_EXE_classroom-emulator"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the binary runs");
        assert!(!status.success(), "{args:?}");
    }
}

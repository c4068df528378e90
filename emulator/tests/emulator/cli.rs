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

#[tokio::test]
async fn the_proxy_subcommand_forwards_reports_and_sums_up_at_ctrl_c() {
    let emulator = classroom_emulator::Emulator::start()
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_classroom-emulator"))
            .args(["proxy", "--port", "0", "--upstream", emulator.base_url()])
            .arg("--record")
            .arg(dir.path())
            .args(["--json-lines", "-"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let mut errs = BufReader::new(stderr).lines();
    let first = errs.next().expect("a line").expect("text");
    let url = first
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    // An unknown path: the emulator answers 404, the proxy reports the request.
    let (status, _, _) = read(
        reqwest::get(format!("{url}/cn/edu/apps/x/v2/nowhere"))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(status, 404);
    let pid = child.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.0.wait().expect("the proxy stops");
    assert!(status.success(), "{status}");
    let rest: Vec<String> = errs.map(|l| l.expect("text")).collect();
    let text = rest.join("\n");
    assert!(text.contains("unknown operation"), "{text}");
    assert!(text.contains("1 calls, 1 differences"), "{text}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().expect("stdout"), &mut out)
        .expect("stdout");
    let kinds: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("JSON line")["type"].to_string()
        })
        .collect();
    assert_eq!(kinds, ["\"drift\"", "\"summary\""], "{out}");
    assert!(dir.path().join("unmatched.jsonl").exists());
}

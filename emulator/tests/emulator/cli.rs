//! The binary: `classroom-emulator --port ... --app-id ... --certificate-file ...`.

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
async fn the_binary_prints_its_url_and_app_id_and_serves() {
    let app_id = "abcdefabcdefabcdefabcdefabcdef12";
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_classroom-emulator"))
            .env_remove("CLASSROOM_EMULATOR_CERTIFICATE")
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
    assert!(!rest[1].contains(DEFAULT_CERTIFICATE), "{rest:?}");
    assert!(rest[1].contains("built-in"), "{rest:?}");
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
    let missing = std::env::temp_dir().join("classroom-emulator-no-such-certificate");
    let missing = missing.to_str().expect("a UTF-8 path");
    for (args, env) in [
        (vec!["--port", "0"], Some("short")),
        (vec!["--port", "0", "--certificate-file", missing], None),
        (vec!["--port", "0", "--fault", "{not json"], None),
        // The certificate is no longer taken on the command line.
        (
            vec!["--port", "0", "--certificate", DEFAULT_CERTIFICATE],
            None,
        ),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_classroom-emulator"));
        command
            .args(&args)
            .env_remove("CLASSROOM_EMULATOR_CERTIFICATE");
        if let Some(value) = env {
            command.env("CLASSROOM_EMULATOR_CERTIFICATE", value);
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        assert!(!output.status.success(), "{args:?} {env:?}");
    }
}

/// Runs the binary with `configure` and reads its banner (five lines): the child (stopped when
/// dropped), the URL and the banner.
fn banner(configure: impl FnOnce(&mut Command)) -> (Child, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_classroom-emulator"));
    command
        .args(["--port", "0"])
        .env_remove("CLASSROOM_EMULATOR_CERTIFICATE")
        .stdout(Stdio::piped());
    configure(&mut command);
    let mut child = Child(command.spawn().expect("the binary starts"));
    let stdout = child.0.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(5)
        .map(|l| l.expect("text"))
        .collect();
    let url = lines[0].rsplit(' ').next().unwrap_or_default().to_owned();
    (child, url, lines.join("\n"))
}

#[tokio::test]
async fn the_certificate_comes_from_the_environment_or_a_file_and_is_never_printed() {
    let secret = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("certificate");
    std::fs::write(&file, format!("{secret}\n")).expect("written");
    let runs = [
        banner(|c| {
            c.env("CLASSROOM_EMULATOR_CERTIFICATE", secret);
        }),
        banner(|c| {
            c.arg("--certificate-file").arg(&file);
        }),
    ];
    for (_child, url, text) in runs {
        assert!(!text.contains(secret), "{text}");
        let (status, _, info) = read(
            reqwest::get(format!("{url}/_emulator/info"))
                .await
                .expect("info"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(!info.to_string().contains(secret), "{info}");
        // Tokens signed with the secret are accepted.
        let client = classroom_api::Client::builder(DEFAULT_APP_ID)
            .region(classroom_api::types::Region::China)
            .credentials(classroom_api::Credentials::app_certificate(secret).expect("c"))
            .base_url(&url)
            .build()
            .expect("client");
        let body = classroom_api::types::CreateRoomRequest::new(
            "cli",
            classroom_api::types::RoomType::OneToOne,
        );
        client
            .create_room("cli-room", &body)
            .await
            .expect("accepted");
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

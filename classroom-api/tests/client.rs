//! The client against real HTTP servers on 127.0.0.1: what goes on the wire, how answers and
//! failures come back, retries, timeouts and failover.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use classroom_api::error_codes::ErrorCode;
use classroom_api::token::{AccessToken2, AppCertificate, AppId};
use classroom_api::types::{CreateRoomRequest, Region, RoomState, RoomType};
use classroom_api::{Client, Credentials, Error, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const APP_ID: &str = "970ca35de60c44645bbae8a215061b33";
const CERT: &str = "5cfd2fd1755d40ecb72977518be15d3b";
const OK: &str = r#"{"code":0,"msg":"Success","ts":1610167740309}"#;

fn user_fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/examples/getUser.response.json"
    ))
    .unwrap()
}

fn builder(base: &str) -> classroom_api::ClientBuilder {
    Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .base_url(base)
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
}

fn client(base: &str) -> Client {
    builder(base).build().unwrap()
}

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn get_user_returns_typed_data_with_tolerant_role() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/681d9aca4924e9a84ad301e8cca438a71"
        )))
        .respond_with(json(200, &user_fixture()))
        .expect(1)
        .mount(&server)
        .await;
    let user = client(&server.uri())
        .get_user("room-1", "681d9aca4924e9a84ad301e8cca438a71")
        .await
        .unwrap();
    assert_eq!(user.user_name.as_deref(), Some("jasoncai"));
    // The example sends role as the string "1"; it decodes to the documented variant.
    assert_eq!(user.role.as_ref().and_then(|r| r.value()), Some(1));
}

#[tokio::test]
async fn sends_a_valid_education_token_and_only_documented_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&server)
        .await;
    let body = CreateRoomRequest::new("Math 101", RoomType::SmallClass);
    client(&server.uri())
        .create_room("room-1", &body)
        .await
        .unwrap();
    let req = &requests(&server).await[0];
    let auth = req.headers.get("authorization").unwrap().to_str().unwrap();
    let token = auth
        .strip_prefix("agora token=")
        .expect("agora token= scheme");
    let parsed = AccessToken2::parse(token).unwrap();
    parsed
        .validate(
            &AppId::new(APP_ID).unwrap(),
            &AppCertificate::new(CERT).unwrap(),
            classroom_api::token::unix_now(),
        )
        .unwrap();
    assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
    assert!(
        req.headers.get("api-version").is_none(),
        "no progenitor-style api-version header"
    );
    // Only the documented headers, plus what HTTP itself needs.
    let mut names: Vec<&str> = req.headers.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accept",
            "authorization",
            "content-length",
            "content-type",
            "host"
        ]
    );
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"roomName": "Math 101", "roomType": 4})
    );
}

#[tokio::test]
async fn body_less_put_sends_content_length_zero_and_no_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/states/1"
        )))
        .and(header("content-length", "0"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&server)
        .await;
    client(&server.uri())
        .set_room_state("room-1", RoomState::from_value(1))
        .await
        .unwrap();
    let req = &requests(&server).await[0];
    assert!(req.headers.get("content-type").is_none());
}

#[tokio::test]
async fn legacy_and_token_credentials_send_their_headers() {
    let server = MockServer::start().await;
    Mock::given(header("x-agora-token", "006rtm"))
        .and(header("x-agora-uid", "admin"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("authorization", "agora token=007ready"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&server)
        .await;
    let legacy = builder(&server.uri())
        .credentials(Credentials::rtm("006rtm", "admin").unwrap())
        .build()
        .unwrap();
    legacy
        .set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap();
    let ready = builder(&server.uri())
        .credentials(Credentials::token("007ready").unwrap())
        .build()
        .unwrap();
    ready
        .set_room_state("r", RoomState::from_value(2))
        .await
        .unwrap();
}

/// A raw server that records the request head byte for byte and answers `OK`.
async fn raw_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                record
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).into_owned());
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{OK}",
                    OK.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn every_special_id_character_is_one_encoded_path_segment_on_the_wire() {
    let (base, seen) = raw_server().await;
    let client = client(&base);
    let cases = [
        (" ", "%20"),
        ("!", "%21"),
        ("#", "%23"),
        ("$", "%24"),
        ("%", "%25"),
        ("&", "%26"),
        ("(", "%28"),
        (")", "%29"),
        ("+", "%2B"),
        ("-", "-"),
        (":", "%3A"),
        (";", "%3B"),
        ("<", "%3C"),
        ("=", "%3D"),
        (".", "."),
        (">", "%3E"),
        ("?", "%3F"),
        ("@", "%40"),
        ("[", "%5B"),
        ("]", "%5D"),
        ("^", "%5E"),
        ("_", "_"),
        ("{", "%7B"),
        ("}", "%7D"),
        ("|", "%7C"),
        ("~", "~"),
        (",", "%2C"),
    ];
    for (ch, encoded) in cases {
        let room = format!("a{ch}b");
        client
            .set_room_state(&room, RoomState::from_value(1))
            .await
            .unwrap();
        let head = seen.lock().unwrap().pop().unwrap();
        let line = head.lines().next().unwrap().to_owned();
        assert_eq!(
            line,
            format!("PUT /cn/edu/apps/{APP_ID}/v2/rooms/a{encoded}b/states/1 HTTP/1.1"),
            "id character {ch:?}"
        );
    }
    client
        .set_room_state("a b#c?d", RoomState::from_value(1))
        .await
        .unwrap();
    let head = seen.lock().unwrap().pop().unwrap();
    assert!(head.starts_with(&format!(
        "PUT /cn/edu/apps/{APP_ID}/v2/rooms/a%20b%23c%3Fd/states/1 HTTP/1.1\r\n"
    )));
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n")
    );
}

#[tokio::test]
async fn invalid_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(json(200, OK))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    for (room, why) in [
        ("", "empty"),
        ("a/b", "'/'"),
        ("é", "'é'"),
        (&"x".repeat(65), "65 bytes"),
    ] {
        let err = c
            .set_room_state(room, RoomState::from_value(1))
            .await
            .unwrap_err();
        match &err {
            Error::InvalidInput {
                operation,
                field,
                reason,
            } => {
                assert_eq!(*operation, "setRoomState");
                assert_eq!(field, "roomUuid");
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_200_with_a_business_code_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            json(
                200,
                r#"{"code":30409100,"msg":"room already started","ts":5}"#,
            )
            .insert_header("x-request-id", "req-42"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 200);
    assert_eq!(api.code.code(), 30409100);
    assert_eq!(api.msg, "room already started");
    assert_eq!(api.ts, Some(5));
    assert_eq!(api.operation, "setRoomState");
    assert_eq!(
        api.path,
        format!("/cn/edu/apps/{APP_ID}/v2/rooms/r/states/1")
    );
    assert_eq!(err.request_id(), Some("req-42"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn not_found_is_not_retried_and_is_matchable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(
            404,
            r#"{"code":20404100,"msg":"Room not exists!","ts":1610450153520}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri()).get_user("r", "u").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some(ErrorCode::RoomNotFound));
    assert_eq!(
        err.to_string(),
        "getUser answered HTTP 404 with code 20404100: Room not exists!"
    );
}

#[tokio::test]
async fn fails_twice_then_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user_fixture()))
        .mount(&server)
        .await;
    let user = client(&server.uri()).get_user("r", "u").await.unwrap();
    assert_eq!(user.user_name.as_deref(), Some("jasoncai"));
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn an_html_gateway_page_is_a_decode_error_after_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            b"<html><body>502 Bad Gateway</body></html>".to_vec(),
            "text/html",
        ))
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let err = c.get_user("r", "u").await.unwrap_err();
    assert_eq!(requests(&server).await.len(), 3);
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(d.status, 502);
    assert_eq!(d.content_type.as_deref(), Some("text/html"));
    assert!(d.body_prefix.contains("502 Bad Gateway"));
    assert_eq!(d.operation, "getUser");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn empty_and_truncated_bodies_are_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(path(format!(
        "/cn/edu/apps/{APP_ID}/v2/rooms/empty/users/u"
    )))
    .respond_with(ResponseTemplate::new(401))
    .mount(&server)
    .await;
    Mock::given(path(format!("/cn/edu/apps/{APP_ID}/v2/rooms/cut/users/u")))
        .respond_with(json(200, r#"{"code":0,"data":{"userName":"#))
        .mount(&server)
        .await;
    Mock::given(path(format!(
        "/cn/edu/apps/{APP_ID}/v2/rooms/shape/users/u"
    )))
    .respond_with(json(200, r#"{"code":0,"data":[1,2]}"#))
    .mount(&server)
    .await;
    let c = client(&server.uri());
    let err = c.get_user("empty", "u").await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.status == 401 && d.reason == "the body is empty"),
        "{err:?}"
    );
    let err = c.get_user("cut", "u").await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.reason.contains("not the JSON envelope")),
        "{err:?}"
    );
    let err = c.get_user("shape", "u").await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.reason.contains("`data` does not match the spec")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hanging_server_times_out_per_attempt_and_by_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user_fixture()).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .attempt_timeout(Duration::from_millis(150))
        .deadline(Duration::from_millis(1000))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.get_user("r", "u").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: "getUser",
                attempts: 2
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(900));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json(503, r#"{"code":503,"msg":"busy","ts":1}"#).insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user_fixture()))
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server.uri()).get_user("r", "u").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_post_is_not_repeated_after_it_may_have_reached_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .kick_user("r", "u", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(requests(&server).await.len(), 1);
}

/// An address where nothing listens: connecting is refused.
async fn dead_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn failover_client(hosts: Vec<String>) -> Client {
    Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .hosts(hosts)
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_dead_primary_fails_over_even_for_a_post() {
    let live = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&live)
        .await;
    let c = failover_client(vec![dead_address().await, live.uri()]);
    c.kick_user("r", "u", None).await.unwrap();
}

#[tokio::test]
async fn a_5xx_fails_over_and_a_4xx_does_not() {
    let primary = MockServer::start().await;
    let secondary = MockServer::start().await;
    Mock::given(path(format!("/cn/edu/apps/{APP_ID}/v2/rooms/five/users/u")))
        .respond_with(json(503, r#"{"code":503,"msg":"x","ts":1}"#))
        .mount(&primary)
        .await;
    Mock::given(path(format!("/cn/edu/apps/{APP_ID}/v2/rooms/four/users/u")))
        .respond_with(json(404, r#"{"code":20404200,"msg":"no user","ts":1}"#))
        .mount(&primary)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user_fixture()))
        .mount(&secondary)
        .await;
    let c = failover_client(vec![primary.uri(), secondary.uri()]);
    c.get_user("five", "u").await.unwrap();
    let err = c.get_user("four", "u").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UserNotFound));
    assert_eq!(
        requests(&secondary).await.len(),
        1,
        "the 4xx was not failed over"
    );
}

#[tokio::test]
async fn every_attempt_failing_to_connect_is_reported_as_not_sent() {
    let c = failover_client(vec![dead_address().await, dead_address().await]);
    let err = c.kick_user("r", "u", None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                not_sent: true,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn the_vendor_failover_order() {
    let hosts =
        classroom_api::failover_hosts(classroom_api::Domain::AgoraIo, &Region::NorthAmerica, true);
    assert_eq!(
        hosts,
        [
            "https://api.agora.io",
            "https://api.sd-rtn.com",
            "https://api-us-west-1.agora.io",
            "https://api-us-east-1.agora.io",
            "https://api-us-west-1.sd-rtn.com",
            "https://api-us-east-1.sd-rtn.com",
        ]
    );
    let cn = classroom_api::failover_hosts(classroom_api::Domain::SdRtn, &Region::China, true);
    assert_eq!(cn[0], "https://api.sd-rtn.com");
    assert!(cn.contains(&"https://api-cn-north-1.agora.io".to_owned()));
    assert_eq!(
        classroom_api::failover_hosts(classroom_api::Domain::AgoraIo, &Region::Europe, false).len(),
        1
    );
}

#[test]
fn the_builder_refuses_bad_configuration() {
    let err = Client::builder("not-hex")
        .region(Region::China)
        .credentials(Credentials::token("t").unwrap())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("32 hexadecimal"), "{err}");
    let err = Client::builder(APP_ID)
        .credentials(Credentials::token("t").unwrap())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("region"), "{err}");
    let err = Client::builder(APP_ID)
        .region(Region::China)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("credentials"), "{err}");
    let err = builder("ftp://x").build().unwrap_err();
    assert!(err.to_string().contains("http://"), "{err}");
}

#[test]
fn a_mistyped_region_fails_the_build_unless_an_undocumented_one_is_meant() {
    let with_region = |region: &str| {
        Client::builder(APP_ID)
            .region(region.parse().unwrap())
            .credentials(Credentials::token("t").unwrap())
    };
    let err = with_region("china").build().unwrap_err();
    assert!(matches!(err, classroom_api::Error::Config(_)), "{err:?}");
    assert!(
        err.to_string().contains(
            r#"the region "china" is not one of the documented regions ["cn", "ap", "na", "eu"]"#
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("allow_undocumented_region"),
        "{err}"
    );
    // The opt-in accepts a region the documents do not list, sent as written.
    let client = with_region("sa")
        .allow_undocumented_region(true)
        .build()
        .unwrap();
    assert_eq!(client.region().as_str(), "sa");
    // A documented region needs no opt-in; a region that is no path segment is refused even so.
    assert!(with_region("eu").build().is_ok());
    let err = with_region("c/n")
        .allow_undocumented_region(true)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("not a valid path segment"),
        "{err}"
    );
}

/// A tracing writer that keeps everything written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_appear_nowhere_a_person_reads() {
    let server = MockServer::start().await;
    Mock::given(header_exists("authorization"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .mount(&server)
        .await;
    // The process-wide subscriber (this is the binary's only test that installs one): a
    // thread-local one misses spans whose callsites other tests' threads registered first, and
    // what the other tests log must not show a secret either.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    let c = client(&server.uri());
    let err = c.get_user("room-9", "u").await.unwrap_err();
    let sent = requests(&server).await;
    let auth = sent[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let token = auth.strip_prefix("agora token=").unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("getUser") && logs.contains("room-9"),
        "the span names the call: {logs}"
    );
    for text in [format!("{err}"), format!("{err:?}"), format!("{c:?}"), logs] {
        assert!(!text.contains(CERT), "certificate leaked: {text}");
        assert!(!text.contains(token), "token leaked: {text}");
    }
}

#[tokio::test]
async fn create_room_409_is_the_already_exists_outcome_whatever_its_body() {
    use classroom_api::operations::CreateRoomOutcome;
    let body = CreateRoomRequest::new("Math 101", RoomType::SmallClass);
    for answer in [
        json(409, r#"{"code":409,"msg":"Room already exists","ts":1}"#),
        json(409, r#"{"code":30409999,"ts":1}"#),
        ResponseTemplate::new(409),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let outcome = client(&server.uri()).create_room("room-1", &body).await;
        assert_eq!(outcome.unwrap(), CreateRoomOutcome::AlreadyExists);
        assert_eq!(requests(&server).await.len(), 1, "a 409 is not repeated");
    }
    // Other statuses stay errors.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(400, r#"{"code":400,"msg":"bad","ts":1}"#))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .create_room("room-1", &body)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BadRequest));
}

#[tokio::test]
async fn create_room_is_repeated_after_a_503_and_reports_what_the_repeat_found() {
    use classroom_api::operations::CreateRoomOutcome;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json(409, r#"{"code":409,"msg":"exists","ts":1}"#))
        .mount(&server)
        .await;
    let body = CreateRoomRequest::new("Math 101", RoomType::SmallClass);
    let outcome = client(&server.uri())
        .create_room("room-1", &body)
        .await
        .unwrap();
    assert_eq!(outcome, CreateRoomOutcome::AlreadyExists);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn set_recording_state_finds_streaming_url_in_data_or_beside_it() {
    use classroom_api::types::RecordingState;
    let beside = r#"{"code":0,"ts":1610450153520,"streamingUrl":{"rtmp":"rtmp://cdn/a","flv":"https://cdn/a.flv","hls":"https://cdn/a.m3u8"}}"#;
    let inside = r#"{"code":0,"msg":"Success","ts":1,"data":{"recordId":"r1","state":1,"streamingUrl":{"rtmp":"rtmp://cdn/a","flv":"https://cdn/a.flv","hls":"https://cdn/a.m3u8"}}}"#;
    let both = r#"{"code":0,"ts":1,"data":{"recordId":"r1","streamingUrl":{"rtmp":"rtmp://cdn/a","flv":"https://cdn/a.flv","hls":"https://cdn/a.m3u8"}},"streamingUrl":{"rtmp":"rtmp://other"}}"#;
    for body in [beside, inside, both] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(json(200, body))
            .mount(&server)
            .await;
        let result = client(&server.uri())
            .set_recording_state("room-1", RecordingState::Started, None)
            .await
            .unwrap()
            .expect("the response carries the recording");
        let url = result.streaming_url.expect("streamingUrl");
        assert_eq!(url.rtmp.as_deref(), Some("rtmp://cdn/a"), "{body}");
        assert_eq!(url.hls.as_deref(), Some("https://cdn/a.m3u8"), "{body}");
    }
    // Without either, there is still no data.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(json(200, r#"{"code":0,"ts":1}"#))
        .mount(&server)
        .await;
    let result = client(&server.uri())
        .set_recording_state("room-1", RecordingState::Started, None)
        .await
        .unwrap();
    assert_eq!(result, None);
}

#[tokio::test]
async fn create_room_sends_room_type_as_the_integer_the_spec_describes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    for (room_type, wire) in [(RoomType::SmallClass, 4), (RoomType::SmallCloudClass, 10)] {
        let body = CreateRoomRequest::new("Math 101", room_type);
        client(&server.uri())
            .create_room("room-1", &body)
            .await
            .unwrap();
        let sent: serde_json::Value =
            serde_json::from_slice(&requests(&server).await.last().unwrap().body).unwrap();
        assert_eq!(sent["roomType"], serde_json::json!(wire));
    }
}

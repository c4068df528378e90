//! Hostile input to the client: what a caller or a server sends cannot misroute a request, hang
//! a call, leak a credential or panic. Each test names the defect it guards against.

use std::time::{Duration, Instant};

use classroom_api::operations::ListRecordingsQuery;
use classroom_api::types::{DeletePropertiesRequest, Region, RoomState};
use classroom_api::{Client, Credentials, Error, RetryPolicy};
use futures::StreamExt;
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const APP_ID: &str = "970ca35de60c44645bbae8a215061b33";
const CERT: &str = "5cfd2fd1755d40ecb72977518be15d3b";
const OK: &str = r#"{"code":0,"msg":"Success","ts":1610167740309}"#;

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

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn sent(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

#[tokio::test]
async fn dot_segment_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let body = DeletePropertiesRequest::new(vec!["k".to_owned()]);
    for id in [".", ".."] {
        let calls = [
            (
                "userUuid",
                c.delete_user_properties("room-1", id, &body).await,
            ),
            ("userUuid", c.kick_user("room-1", id, None).await),
            ("roomUuid", c.delete_room_properties(id, &body).await),
        ];
        for (expected, result) in calls {
            match result {
                Err(Error::InvalidInput { field, reason, .. }) => {
                    assert_eq!(field, expected);
                    assert!(reason.contains("dot segment"), "{reason}");
                }
                other => panic!("{id:?} as {expected}: expected invalid input, got {other:?}"),
            }
        }
    }
    // Dots inside an id are fine.
    c.kick_user("room-1", "a..b", None).await.unwrap();
    c.kick_user("room-1", "...", None).await.unwrap();
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            format!("/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/a..b/exit"),
            format!("/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/.../exit"),
        ]
    );
}

#[tokio::test]
async fn a_huge_retry_after_neither_panics_nor_hangs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json(503, r#"{"code":503,"msg":"busy","ts":1}"#)
                .insert_header("retry-after", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    // The server's wait is longer than the deadline: the call ends at once.
    let started = Instant::now();
    let err = builder(&server.uri())
        .build()
        .unwrap()
        .get_user("r", "u")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sent(&server).await, 1);
    // No deadline at all: the server's wait is capped by the backoff maximum.
    let started = Instant::now();
    let err = builder(&server.uri())
        .deadline(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(50)),
        )
        .build()
        .unwrap()
        .get_user("r", "u")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert_eq!(sent(&server).await, 1 + 3);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_maximal_deadline_does_not_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user()))
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .deadline(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .retry(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO))
        .build()
        .unwrap();
    c.get_user("r", "u").await.unwrap();
    assert_eq!(sent(&server).await, 2);
}

fn user() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/examples/getUser.response.json"
    ))
    .unwrap()
}

#[tokio::test]
async fn a_2xx_whose_code_is_not_a_number_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(json(200, r#"{"code":"ERR","msg":"failed","ts":1}"#))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let err = c
        .set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap_err();
    match &err {
        Error::Decode(d) => {
            assert_eq!(d.status, 200);
            assert!(d.reason.contains("\"ERR\""), "{}", d.reason);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(sent(&server).await, 1, "not retried");
}

#[tokio::test]
async fn a_2xx_with_a_null_or_absent_code_is_success() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(json(200, r#"{"code":null,"msg":"ok"}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(json(200, r#"{"msg":"ok"}"#))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    c.set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap();
    c.set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_legacy_token_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&elsewhere)
        .await;
    Mock::given(method("PUT"))
        .respond_with(json(200, OK))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let target = format!("{}/stolen", elsewhere.uri());
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .credentials(Credentials::rtm("006secret-rtm-token", "admin").unwrap())
        .build()
        .unwrap();
    let err = c.kick_user("r", "u", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.status == 307 && d.reason.contains("redirect")),
        "{err:?}"
    );
    let err = c
        .set_room_state("r", RoomState::from_value(1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.status == 302 && d.reason.contains("redirect")),
        "{err:?}"
    );
    assert_eq!(sent(&elsewhere).await, 0, "nothing reached the other host");
    assert_eq!(sent(&server).await, 2, "a redirect is not retried");
}

/// An address that accepts no connection and answers no SYN: a listener with a full accept
/// queue (Linux then drops further SYNs silently, so connecting hangs). Keep both guards alive.
async fn hanging_address() -> (String, Vec<TcpStream>, tokio::net::TcpListener) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    (format!("http://{addr}"), fillers, listener)
}

#[tokio::test]
async fn a_hanging_connect_still_fails_over_a_post() {
    let (hanging, _fillers, _guard) = hanging_address().await;
    // The address really hangs: connecting does not finish.
    let probe = tokio::time::timeout(
        Duration::from_millis(300),
        TcpStream::connect(hanging.trim_start_matches("http://")),
    )
    .await;
    assert!(probe.is_err(), "the test address must hang, got {probe:?}");
    let live = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .expect(1)
        .mount(&live)
        .await;
    let c = Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .hosts([hanging, live.uri()])
        .attempt_timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    c.kick_user("r", "u", None).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_hanging_connect_alone_is_reported_as_not_sent() {
    let (hanging, _fillers, _guard) = hanging_address().await;
    let c = Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .base_url(hanging)
        .attempt_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_millis(100))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let err = c.kick_user("r", "u", None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                not_sent: true,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_pagination_cycle_of_two_pages_ends_with_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let next_id = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "nextId")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let next = match next_id.as_str() {
                "" | "b" => "a",
                _ => "b",
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "code": 0, "ts": 1,
                "data": {"list": [{"recordId": next_id, "type": 2, "status": 2}], "nextId": next}
            }))
        })
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let all: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        c.list_recordings_stream("room-1", &ListRecordingsQuery::default())
            .take(100)
            .collect(),
    )
    .await
    .expect("the stream ends");
    // "", then a, then b (whose nextId a was already fetched): three items, then the error.
    assert_eq!(all.len(), 4, "{} results", all.len());
    let err = all[3].as_ref().unwrap_err();
    assert!(err.to_string().contains("listRecordings"), "{err}");
    assert!(
        matches!(err, Error::Decode(d) if d.reason.contains("\"a\"") && d.reason.contains("already")),
        "{err:?}"
    );
    assert_eq!(sent(&server).await, 3);
}

#[tokio::test]
async fn a_body_over_16_mib_is_refused_not_read() {
    let server = MockServer::start().await;
    let mut body = br#"{"code":0,"data":{"userName":""#.to_vec();
    body.resize(17 * 1024 * 1024, b'x');
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let err = builder(&server.uri())
        .build()
        .unwrap()
        .get_user("r", "u")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.reason.contains("larger than 16777216 bytes")),
        "{err:?}"
    );
}

/// Tokens the server hands out (the whiteboard's, a conversion task's) are secrets: the types
/// that carry them print `***` in their `Debug` output, whatever the answer holds.
#[test]
fn tokens_in_answers_stay_out_of_debug_output() {
    use classroom_api::types::{NetlessBoardExtra, PublicResource, Recording};
    const SECRET: &str = "NETLESSSDK_YWs9c2VjcmV0LXdoaXRlYm9hcmQtdG9rZW4";
    let recording: Recording =
        serde_json::from_value(json!({"recordId": "r1", "boardToken": SECRET})).unwrap();
    let board: NetlessBoardExtra =
        serde_json::from_value(json!({"boardId": "b1", "boardToken": SECRET})).unwrap();
    let resource: PublicResource = serde_json::from_value(
        json!({"resourceUuid": "res1", "taskUuid": "t1", "taskToken": SECRET}),
    )
    .unwrap();
    for shown in [
        format!("{recording:?}"),
        format!("{recording:#?}"),
        format!("{board:?}"),
        format!("{resource:#?}"),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("\"***\""), "{shown}");
    }
    // The value itself is still there for the caller.
    assert_eq!(recording.board_token.as_deref(), Some(SECRET));
    // Other fields are shown as before.
    assert!(format!("{board:?}").contains("b1"));
}

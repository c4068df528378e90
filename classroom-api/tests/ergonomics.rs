//! Call-site ergonomics against servers on 127.0.0.1: per-call settings, response metadata,
//! error helpers, the user agent, credential renewal on 401, the raw call and typed ids.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use classroom_api::types::{CreateRoomRequest, Region, RoomType};
use classroom_api::{Client, Credentials, Error, RetryPolicy};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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

async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

fn room_body() -> CreateRoomRequest {
    CreateRoomRequest::new("Math 101", RoomType::SmallClass)
}

#[tokio::test]
async fn a_per_call_header_goes_with_that_call_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    c.create_room("room-1", &room_body())
        .header("traceparent", trace)
        .await
        .unwrap();
    c.create_room("room-2", &room_body()).await.unwrap();
    let got = requests(&server).await;
    assert_eq!(got[0].headers.get("traceparent").unwrap(), trace);
    assert!(got[1].headers.get("traceparent").is_none());
}

#[tokio::test]
async fn a_bad_or_reserved_per_call_header_fails_before_sending() {
    let server = MockServer::start().await;
    let c = client(&server.uri());
    for (name, value, why) in [
        ("Authorization", "agora token=x", "set by the client"),
        ("bad name", "v", "not a valid header name"),
        ("x-trace", "line\nbreak", "not a valid header value"),
    ] {
        let err = c
            .create_room("room-1", &room_body())
            .header(name, value)
            .await
            .unwrap_err();
        match &err {
            Error::InvalidInput {
                operation: "createRoom",
                reason,
                ..
            } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn metadata_of_a_success_has_the_request_id_status_and_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json(200, &user_fixture())
                .insert_header("x-request-id", "req-42")
                .insert_header("x-vendor-extra", "yes"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let (user, meta) = c
        .get_user("room-1", "u-1")
        .send_with_metadata()
        .await
        .unwrap();
    assert_eq!(user.user_name.as_deref(), Some("jasoncai"));
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.request_id(), Some("req-42"));
    assert_eq!(meta.header("x-vendor-extra"), Some("yes"));
    // An operation without data, and a server without a request id.
    let (outcome, meta) = c
        .create_room("room-1", &room_body())
        .send_with_metadata()
        .await
        .unwrap();
    assert_eq!(
        outcome,
        classroom_api::operations::CreateRoomOutcome::Created
    );
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.request_id(), None);
}

#[tokio::test]
async fn per_call_retry_settings_override_the_clients() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let err = c.get_user("r", "u").no_retry().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(requests(&server).await.len(), 1, "no_retry: one attempt");
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .mount(&server)
        .await;
    let policy = RetryPolicy::default()
        .with_max_attempts(2)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    c.get_user("r", "u").retry_policy(policy).await.unwrap_err();
    assert_eq!(requests(&server).await.len(), 2, "two attempts");
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .mount(&server)
        .await;
    c.get_user("r", "u").await.unwrap_err();
    assert_eq!(requests(&server).await.len(), 4, "the client's policy");
}

#[tokio::test]
async fn per_call_timeout_and_deadline_override_the_clients() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(200, &user_fixture()).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    // The client waits 10 s per attempt and 30 s per call; this call 100 ms once.
    let c = client(&server.uri());
    let started = Instant::now();
    let err = c
        .get_user("r", "u")
        .timeout(Duration::from_millis(100))
        .no_retry()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let started = Instant::now();
    let err = c
        .get_user("r", "u")
        .deadline(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_request_id_is_recorded_in_the_calls_span() {
    use tracing_subscriber::layer::SubscriberExt;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/u-1"
        )))
        .respond_with(json(200, &user_fixture()).insert_header("x-request-id", "req-span-7"))
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    // The process-wide subscriber (this binary's only test that installs one): a thread-local one
    // misses spans whose callsites other tests' threads registered first (seen in CI). Other
    // tests' records come in too; the request id below is this test's alone.
    let subscriber = tracing_subscriber::registry().with(RecordedFields(seen.clone()));
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    client(&server.uri())
        .get_user("room-1", "u-1")
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|(k, v)| k == "request_id" && v == "req-span-7"),
        "{seen:?}"
    );
}

/// Every field recorded on a span after it was created.
struct RecordedFields(Arc<Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RecordedFields {
    fn on_record(
        &self,
        _span: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct V<'a>(&'a Mutex<Vec<(String, String)>>);
        impl tracing::field::Visit for V<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0
                    .lock()
                    .unwrap()
                    .push((field.name().to_owned(), value.to_owned()));
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0
                    .lock()
                    .unwrap()
                    .push((field.name().to_owned(), format!("{value:?}")));
            }
        }
        values.record(&mut V(&self.0));
    }
}

#[tokio::test]
async fn a_one_or_many_call_takes_per_call_settings() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/cn/edu/polling/apps/{APP_ID}/v2/rooms/sequences")))
        .and(header("x-trace", "t1"))
        .respond_with(json(
            200,
            r#"{"code":0,"msg":"Success","ts":1,"data":[{"sequence":1,"cmd":1,"roomUuid":"r","version":1,"data":{"state":1}}]}"#,
        ))
        .mount(&server)
        .await;
    let events = client(&server.uri())
        .poll_app_events()
        .header("x-trace", "t1")
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn error_helpers_classify_the_answer() {
    let server = MockServer::start().await;
    let c = client(&server.uri());
    let answer = |status: u16, body: &'static str| {
        let server = &server;
        async move {
            server.reset().await;
            Mock::given(method("GET"))
                .respond_with(json(status, body).insert_header("retry-after", "7"))
                .mount(server)
                .await;
        }
    };
    answer(429, r#"{"code":429,"msg":"slow down","ts":1}"#).await;
    let err = c.get_user("r", "u").no_retry().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(!err.is_unauthorized() && !err.is_not_found() && !err.is_conflict());

    answer(401, r#"{"code":401,"msg":"invalid token","ts":1}"#).await;
    let err = c.get_user("r", "u").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");

    answer(404, r#"{"code":20404100,"msg":"room not found","ts":1}"#).await;
    let err = c.get_user("r", "u").await.unwrap_err();
    assert!(err.is_not_found() && !err.is_conflict());

    // A 200 whose business code is documented with HTTP 409 is a conflict too.
    answer(200, r#"{"code":30409100,"msg":"already started","ts":1}"#).await;
    let err = c.get_user("r", "u").await.unwrap_err();
    assert!(err.is_conflict() && !err.is_not_found(), "{err:?}");

    // A gateway page that is not the envelope still carries Retry-After.
    answer(503, "<html>busy</html>").await;
    let err = c.get_user("r", "u").no_retry().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn an_unknown_business_code_is_opaque_and_readable() {
    use classroom_api::error_codes::ErrorCode;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(400, r#"{"code":30400999,"msg":"new rule","ts":1}"#))
        .mount(&server)
        .await;
    let err = client(&server.uri()).get_user("r", "u").await.unwrap_err();
    let code = err.code().unwrap();
    assert!(matches!(code, ErrorCode::Unknown(_)));
    assert_eq!(code.code(), 30400999);
    assert_eq!(code.to_string(), "30400999");
    assert_eq!(ErrorCode::from_code(30400999), code);
    // A documented code is never Unknown.
    assert_eq!(ErrorCode::from_code(20404100), ErrorCode::RoomNotFound);
}

#[tokio::test]
async fn a_user_agent_is_sent_only_when_set() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    client(&server.uri())
        .create_room("room-1", &room_body())
        .await
        .unwrap();
    builder(&server.uri())
        .user_agent("school-backend/1.4")
        .build()
        .unwrap()
        .create_room("room-1", &room_body())
        .await
        .unwrap();
    let got = requests(&server).await;
    assert!(
        got[0].headers.get("user-agent").is_none(),
        "none by default"
    );
    assert_eq!(
        got[1].headers.get("user-agent").unwrap(),
        "school-backend/1.4"
    );
    let err = builder(&server.uri())
        .user_agent("bad\nagent")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("user agent")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_401_renews_the_app_token_once_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(401, r#"{"code":401,"msg":"token expired","ts":1}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    // A POST, and no retries allowed: the renewal retry happens anyway, once.
    client(&server.uri())
        .create_room("room-1", &room_body())
        .no_retry()
        .await
        .unwrap();
    let got = requests(&server).await;
    assert_eq!(got.len(), 2);
    let auth = |r: &wiremock::Request| r.headers.get("authorization").unwrap().clone();
    assert_ne!(auth(&got[0]), auth(&got[1]), "a newly minted token");

    // Refused again after renewing: the 401 is returned, with no third attempt.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(json(401, r#"{"code":401,"msg":"bad certificate","ts":1}"#))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .create_room("room-1", &room_body())
        .await
        .unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_fixed_token_is_not_retried_on_401_and_a_provider_decides() {
    use classroom_api::auth::{AuthHeaders, CredentialProvider, HeadersFuture};
    use std::sync::atomic::{AtomicU32, Ordering};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(401, r#"{"code":401,"msg":"token expired","ts":1}"#))
        .mount(&server)
        .await;
    let fixed = builder(&server.uri())
        .credentials(Credentials::token("007fixed").unwrap())
        .build()
        .unwrap();
    assert!(
        fixed
            .get_user("r", "u")
            .await
            .unwrap_err()
            .is_unauthorized()
    );
    assert_eq!(requests(&server).await.len(), 1);

    /// A provider that hands out a new token after each renewal.
    struct Vault(AtomicU32);
    impl CredentialProvider for Vault {
        fn headers(&self) -> HeadersFuture<'_> {
            let n = self.0.load(Ordering::SeqCst);
            Box::pin(async move { AuthHeaders::agora_token(&format!("007vault-{n}")) })
        }
        fn renew(&self) -> bool {
            self.0.fetch_add(1, Ordering::SeqCst);
            true
        }
    }
    server.reset().await;
    Mock::given(method("GET"))
        .and(header("authorization", "agora token=007vault-1"))
        .respond_with(json(200, &user_fixture()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(401, r#"{"code":401,"msg":"token expired","ts":1}"#))
        .mount(&server)
        .await;
    let vault = Arc::new(Vault(AtomicU32::new(0)));
    let c = builder(&server.uri())
        .credentials(Credentials::provider(vault.clone()))
        .build()
        .unwrap();
    c.get_user("r", "u").await.unwrap();
    assert_eq!(vault.0.load(Ordering::SeqCst), 1);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_raw_call_fills_the_template_and_maps_answers_like_any_operation() {
    use wiremock::matchers::query_param;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/math%20101%2F2/users"
        )))
        .and(query_param("role", "1"))
        .and(query_param("a&b", "c=d"))
        .respond_with(json(
            200,
            r#"{"code":0,"msg":"Success","ts":1,"data":{"list":[{"userUuid":"u-1"}]}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let data = c
        .raw(
            "get",
            "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users",
            &[("roomUuid", "math 101/2"), ("role", "1"), ("a&b", "c=d")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(data["list"][0]["userUuid"], "u-1");

    // A POST with a body, answered with a business error and a request id in the metadata path.
    Mock::given(method("POST"))
        .respond_with(
            json(409, r#"{"code":30409100,"msg":"already started","ts":1}"#)
                .insert_header("x-request-id", "req-raw"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = c
        .raw(
            "POST",
            "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/new-thing",
            &[("roomUuid", "r")],
            Some(&serde_json::json!({"x": 1})),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(err.request_id(), Some("req-raw"));
    assert_eq!(err.operation(), Some("raw"));
    let post = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert_eq!(post.body, br#"{"x":1}"#);
    assert!(
        post.headers.get("authorization").is_some(),
        "the client's auth"
    );
}

#[tokio::test]
async fn a_raw_get_is_retried_and_bad_raw_input_is_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, OK))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let data = c
        .raw("GET", "/{region}/edu/apps/{appId}/v2/ping", &[], None)
        .await
        .unwrap();
    assert_eq!(data, serde_json::Value::Null);
    assert_eq!(requests(&server).await.len(), 2);
    server.reset().await;
    for (m, template, why) in [
        ("TRACE", "/x", "is not one of"),
        ("GET", "x", "does not start with '/'"),
        ("GET", "/{region}/{roomUuid}", "needs `roomUuid`"),
        ("GET", "/{region}/{roomUuid", "unclosed"),
        ("GET", "/{region}/x?y=1", "pass query parameters in params"),
    ] {
        let err = c.raw(m, template, &[], None).await.unwrap_err();
        match &err {
            Error::InvalidInput { reason, .. } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(requests(&server).await.is_empty());
}

#[test]
fn typed_ids_are_checked_once_when_made() {
    use classroom_api::ids::{IdError, RoomUuid, UserUuid};

    let room: RoomUuid = "math 101".parse().unwrap();
    assert_eq!(room.as_str(), "math 101");
    assert_eq!(room.to_string(), "math 101");
    assert_eq!(format!("{room:?}"), r#"RoomUuid("math 101")"#);
    assert_eq!(room, "math 101");
    assert_eq!(RoomUuid::try_from(String::from("math 101")).unwrap(), room);
    let err: IdError = RoomUuid::new("").unwrap_err();
    assert_eq!(err.field(), "roomUuid");
    assert_eq!(err.to_string(), "invalid roomUuid: `roomUuid` is empty");
    assert!(
        UserUuid::try_from("a/b")
            .unwrap_err()
            .reason()
            .contains("'/'")
    );
    assert!(UserUuid::new("x".repeat(65)).is_err());
    // serde: a string both ways, checked when read.
    let json = serde_json::to_string(&room).unwrap();
    assert_eq!(json, r#""math 101""#);
    assert_eq!(serde_json::from_str::<RoomUuid>(&json).unwrap(), room);
    let err = serde_json::from_str::<RoomUuid>(r#""a/b""#).unwrap_err();
    assert!(err.to_string().contains("invalid roomUuid"), "{err}");
}

#[tokio::test]
async fn operations_take_typed_ids_and_text_alike() {
    use classroom_api::ids::{RoomUuid, UserUuid};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/u-1"
        )))
        .respond_with(json(200, &user_fixture()))
        .expect(6)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let room: RoomUuid = "room-1".parse().unwrap();
    let user = UserUuid::new("u-1").unwrap();
    let room_text = String::from("room-1");
    c.get_user(&room, &user).await.unwrap();
    c.get_user(room.clone(), user.clone()).await.unwrap();
    c.get_user("room-1", "u-1").await.unwrap();
    c.get_user(&room_text, "u-1").await.unwrap();
    c.get_user(room_text.clone(), String::from("u-1"))
        .await
        .unwrap();
    c.get_user(room_text.as_str(), &user).await.unwrap();
}

#[tokio::test]
async fn a_bad_text_id_fails_the_call_or_the_stream_before_sending() {
    use futures::StreamExt;

    let server = MockServer::start().await;
    let c = client(&server.uri());
    let err = c.get_user("room-1", "a/b").await.unwrap_err();
    match &err {
        Error::InvalidInput {
            operation: "getUser",
            field,
            reason,
        } => {
            assert_eq!(field, "userUuid");
            assert!(reason.contains("'/'"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut pages = c.list_recordings_pages(
        "",
        &classroom_api::operations::ListRecordingsQuery::default(),
    );
    let first = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&first, Error::InvalidInput { operation: "listRecordings", field, .. } if field == "roomUuid"),
        "{first:?}"
    );
    assert!(pages.next().await.is_none(), "the error ends the stream");
    assert!(requests(&server).await.is_empty());
}

#[test]
fn a_requests_debug_shows_header_names_not_values() {
    let c = client("http://127.0.0.1:9");
    let req = c
        .get_user("room-1", "u-1")
        .header("x-gateway-key", "secret-value")
        .timeout(Duration::from_secs(1));
    let shown = format!("{req:?}");
    assert!(
        shown.contains("x-gateway-key") && shown.contains("getUser"),
        "{shown}"
    );
    assert!(!shown.contains("secret-value"), "{shown}");
}

#[test]
fn publish_rtmp_is_sent_as_a_boolean_and_read_from_its_text() {
    use classroom_api::types::WebRecordConfig;
    let config = WebRecordConfig::new("https://example.com/record").with_publish_rtmp(true);
    let sent = serde_json::to_value(&config).unwrap();
    assert_eq!(sent["publishRtmp"], serde_json::json!(true));
    for (wire, expected) in [
        (r#""true""#, Some(true)),
        (r#""false""#, Some(false)),
        ("true", Some(true)),
        ("null", None),
    ] {
        let text = format!(r#"{{"rootUrl":"https://example.com/record","publishRtmp":{wire}}}"#);
        let read: WebRecordConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(read.publish_rtmp, expected, "{wire}");
    }
    let absent: WebRecordConfig =
        serde_json::from_str(r#"{"rootUrl":"https://example.com/record"}"#).unwrap();
    assert_eq!(absent.publish_rtmp, None);
    for wire in [r#""yes""#, "1"] {
        let text = format!(r#"{{"rootUrl":"https://example.com/record","publishRtmp":{wire}}}"#);
        let err = serde_json::from_str::<WebRecordConfig>(&text).unwrap_err();
        assert!(
            err.to_string().contains("\"true\" or \"false\""),
            "{wire}: {err}"
        );
    }
}

#[tokio::test]
async fn numbers_with_a_zero_fraction_decode_as_integers_and_others_do_not() {
    let server = MockServer::start().await;
    let integral = user_fixture()
        .replace("1658126805245", "1658126805245.0")
        .replace("1658126782174", "1658126782174.0");
    assert_ne!(integral, user_fixture());
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/u-1"
        )))
        .respond_with(json(200, &integral))
        .mount(&server)
        .await;
    let fractional = user_fixture().replace("1658126782174", "1658126782174.5");
    Mock::given(method("GET"))
        .and(path(format!(
            "/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/u-2"
        )))
        .respond_with(json(200, &fractional))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let user = c.get_user("room-1", "u-1").await.unwrap();
    assert_eq!(user.update_time, Some(1_658_126_782_174));
    let err = c.get_user("room-1", "u-2").await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert!(
        decode.reason.contains("1658126782174.5"),
        "{}",
        decode.reason
    );
}

#[test]
fn integer_enums_take_a_zero_fraction_and_refuse_others() {
    use classroom_api::types::{RoomState, UserRole};
    let state: RoomState = serde_json::from_value(serde_json::json!(1.0)).unwrap();
    assert_eq!(state, RoomState::Started);
    let role: UserRole = serde_json::from_value(serde_json::json!(2.0)).unwrap();
    assert_eq!(role, UserRole::Student);
    let unknown: RoomState = serde_json::from_value(serde_json::json!(7.0)).unwrap();
    assert_eq!(unknown, RoomState::Unknown(7));
    for fractional in [serde_json::json!(1.5), serde_json::json!(-0.25)] {
        let err = serde_json::from_value::<RoomState>(fractional.clone()).unwrap_err();
        assert!(
            err.to_string().contains("floating point"),
            "{fractional}: {err}"
        );
    }
}

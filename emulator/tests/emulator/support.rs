//! What every test uses: an emulator with a client, the spec's schemas, raw requests.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use classroom_api::token::{AppCertificate, AppId, EducationTokenBuilder};
use classroom_api::types::Region;
use classroom_api::{Client, Credentials, RetryPolicy};
use classroom_emulator::{Emulator, RecordedResponse};
use serde_json::{Map, Value};

pub const REGION: Region = Region::China;

/// A recording emulator and a client of it that does not retry.
pub async fn start() -> (Emulator, Client) {
    let emulator = Emulator::builder()
        .record_responses(true)
        .start()
        .await
        .expect("the emulator starts");
    let client = client(&emulator, RetryPolicy::none());
    (emulator, client)
}

/// A client of `emulator` with its certificate and `retry`.
pub fn client(emulator: &Emulator, retry: RetryPolicy) -> Client {
    let credentials = Credentials::app_certificate(emulator.certificate()).expect("certificate");
    client_with(emulator, credentials, retry)
}

/// A client of `emulator` with other credentials.
pub fn client_with(emulator: &Emulator, credentials: Credentials, retry: RetryPolicy) -> Client {
    Client::builder(emulator.app_id())
        .region(REGION)
        .credentials(credentials)
        .base_url(emulator.base_url())
        .retry(retry.with_backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .attempt_timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// An app token for `emulator`, for raw requests.
pub fn app_token(emulator: &Emulator) -> String {
    let builder = EducationTokenBuilder::new(
        AppId::new(emulator.app_id()).expect("app id"),
        AppCertificate::new(emulator.certificate()).expect("certificate"),
    );
    builder.app_token(600).expect("token").into_string()
}

/// The path of a room under `emulator`'s app, for raw requests.
pub fn room_path(emulator: &Emulator, room: &str) -> String {
    format!(
        "{}/cn/edu/apps/{}/v2/rooms/{room}",
        emulator.base_url(),
        emulator.app_id()
    )
}

/// A JSON object from a `json!` literal.
pub fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Checks every response the emulator recorded against the spec; how many were checked.
#[track_caller]
pub fn assert_responses_match_spec(emulator: &Emulator) -> usize {
    let responses = emulator.responses();
    let mut failures = Vec::new();
    for r in &responses {
        let errors = spec_errors(r);
        if !errors.is_empty() {
            failures.push(format!(
                "{} {} ({:?}, HTTP {}): {}\n  body: {}",
                r.method,
                r.path,
                r.operation,
                r.status,
                errors.join("; "),
                r.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "responses that do not match the spec:\n{}",
        failures.join("\n")
    );
    responses.len()
}

/// The errors of one recorded response against the spec: the operation's 200 schema for a
/// success, `components/responses/Error` otherwise.
pub fn spec_errors(response: &RecordedResponse) -> Vec<String> {
    let key = match (&response.operation, response.status) {
        (Some(op), 200) => op.clone(),
        _ => "<error>".to_owned(),
    };
    let validators = VALIDATORS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut validators = validators.lock().unwrap_or_else(|p| p.into_inner());
    let validator = validators
        .entry(key.clone())
        .or_insert_with(|| compile(&key));
    validator
        .iter_errors(&response.body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

static VALIDATORS: OnceLock<Mutex<HashMap<String, jsonschema::Validator>>> = OnceLock::new();

fn compile(key: &str) -> jsonschema::Validator {
    let spec = json_schema_spec();
    let schema = if key == "<error>" {
        spec["components"]["responses"]["Error"]["content"]["application/json"]["schema"].clone()
    } else {
        operation(spec, key)["responses"]["200"]["content"]["application/json"]["schema"].clone()
    };
    assert!(schema.is_object(), "no schema for {key}");
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".into(), spec["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft201909)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("the schema of {key} does not compile: {e}"))
}

/// The operation object of `id`.
pub fn operation<'a>(spec: &'a Value, id: &str) -> &'a Value {
    spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| {
            ["get", "put", "post", "patch", "delete"]
                .into_iter()
                .filter_map(move |m| item.get(m))
        })
        .find(|op| op["operationId"] == id)
        .unwrap_or_else(|| panic!("no operation {id} in the spec"))
}

/// The spec, read from `spec/classroom.yaml`, with OpenAPI 3.0's `nullable` turned into JSON
/// Schema by the project's one conversion (`classroom_codegen::json_schema`), closed to what the
/// documents list: the emulator answers only documented values, although the spec admits more
/// in answers (what the SDK tolerates).
pub fn json_schema_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/classroom.yaml");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut spec = classroom_codegen::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("{}:{}: {}", path.display(), e.line, e.message))
            .value;
        classroom_codegen::json_schema::documented_only(&mut spec);
        classroom_codegen::json_schema::admit_null(&mut spec);
        spec
    })
}

/// A raw request with the app token; the status, the `Retry-After` header and the JSON body.
pub async fn raw(
    emulator: &Emulator,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> (u16, Option<String>, Value) {
    let http = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(method, url).header(
        "authorization",
        format!("agora token={}", app_token(emulator)),
    );
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = req.send().await.expect("the emulator answers");
    read(response).await
}

/// The status, the `Retry-After` header and the JSON body of a response.
pub async fn read(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, retry_after, body)
}

/// An admin request; the JSON body, after checking the status.
#[track_caller]
pub fn admin_url(emulator: &Emulator, path: &str) -> String {
    format!("{}/_emulator{path}", emulator.base_url())
}

//! What a call leaves in traces: one span for the call, and one child span per attempt with its
//! own status, business code and latency.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use classroom_api::types::Region;
use classroom_api::{Client, Credentials, RetryPolicy};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: &str = "970ca35de60c44645bbae8a215061b33";
const CERT: &str = "5cfd2fd1755d40ecb72977518be15d3b";

/// A span as the subscriber saw it: its name, its parent (an index into [`Seen::spans`]), and
/// every field recorded on it, each value in the order it was recorded (a field recorded twice
/// shows twice).
#[derive(Debug, Clone, Default)]
struct SeenSpan {
    name: &'static str,
    parent: Option<usize>,
    fields: BTreeMap<String, Vec<String>>,
}

/// Every span in creation order, and where each live span id is (ids are reused once closed).
#[derive(Debug, Default)]
struct Seen {
    spans: Vec<SeenSpan>,
    live: HashMap<u64, usize>,
}

#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut BTreeMap<String, Vec<String>>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .entry(field.name().to_owned())
            .or_default()
            .push(format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut seen = self.0.lock().unwrap();
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent())
            .and_then(|p| seen.live.get(&p.id().into_u64()).copied());
        let mut span = SeenSpan {
            name: attrs.metadata().name(),
            parent,
            ..SeenSpan::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        seen.spans.push(span);
        let index = seen.spans.len() - 1;
        seen.live.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut seen = self.0.lock().unwrap();
        if let Some(&index) = seen.live.get(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.spans[index].fields));
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        self.0.lock().unwrap().live.remove(&id.into_u64());
    }
}

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

#[tokio::test]
async fn each_attempt_is_a_child_span_of_the_call_with_its_own_status_and_latency() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, r#"{"code":503,"msg":"busy","ts":1}"#))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(
            200,
            r#"{"code":0,"msg":"Success","ts":1,"data":{"userUuid":"u","userName":"Ann"}}"#,
        ))
        .mount(&server)
        .await;
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let client = Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .base_url(server.uri())
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    client.get_user("room-9", "u").await.unwrap();

    let spans = spans.0.lock().unwrap().spans.clone();
    let calls: Vec<_> = spans
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name == "classroom_api")
        .collect();
    assert_eq!(calls.len(), 1, "{spans:#?}");
    let (call_id, call) = calls[0];
    assert_eq!(call.fields["operation"], ["\"getUser\""]);
    assert_eq!(call.fields["room_uuid"], ["\"room-9\""]);
    assert!(!call.fields.contains_key("attempt"), "{call:#?}");
    assert_eq!(call.fields["latency_ms"].len(), 1, "{call:#?}");

    let attempts: Vec<_> = spans.iter().filter(|s| s.name == "attempt").collect();
    assert_eq!(attempts.len(), 3, "{spans:#?}");
    for (n, (attempt, status)) in attempts.iter().zip(["503", "503", "200"]).enumerate() {
        assert_eq!(attempt.parent, Some(call_id), "{attempt:#?}");
        // Each field once: the attempt's number, its status and its latency.
        assert_eq!(
            attempt.fields["attempt"],
            [(n + 1).to_string()],
            "{attempt:#?}"
        );
        assert_eq!(attempt.fields["status"], [status], "{attempt:#?}");
        assert_eq!(attempt.fields["latency_ms"].len(), 1, "{attempt:#?}");
        assert!(
            attempt.fields["host"][0].contains("127.0.0.1"),
            "{attempt:#?}"
        );
    }
    assert_eq!(attempts[0].fields["code"], ["503"]);
    assert!(
        !attempts[2].fields.contains_key("code"),
        "{:#?}",
        attempts[2]
    );
}

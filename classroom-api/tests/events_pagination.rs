//! Listings paged by `nextId`, as streams, against a server on 127.0.0.1.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use classroom_api::operations::{
    ListPollEventsQuery, ListPopupQuizEventsQuery, ListRecordingsQuery, ListRoomEventsQuery,
    ListWidgetEventsQuery,
};
use classroom_api::pagination::Page;
use classroom_api::types::Region;
use classroom_api::{Client, Credentials, Error, RetryPolicy};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const APP_ID: &str = "0123456789abcdef0123456789abcdef";
const BASE: &str = "/na/edu/apps/0123456789abcdef0123456789abcdef/v2/rooms/room-1";

fn client(server: &MockServer) -> Client {
    Client::builder(APP_ID)
        .region(Region::NorthAmerica)
        .credentials(Credentials::token("007test-token").unwrap())
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn event(sequence: i64) -> Value {
    json!({"roomUuid": "", "cmd": 1110, "sequence": sequence, "version": 1,
        "data": {"widgetUuid": "w", "changeProperties": {}}})
}

fn recording(id: i64) -> Value {
    json!({"recordId": format!("rec-{id}"), "type": 2, "status": 2})
}

/// The nextId a request carried ("" for none).
fn next_id_of(request: &Request) -> String {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "nextId")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Serves `pages` (nextId → (items, next nextId)) at `at`; `fail` answers 500 once per nextId.
async fn serve(
    at: &str,
    pages: Vec<(&str, Vec<Value>, Option<&str>)>,
    fail: &[&str],
) -> MockServer {
    let server = MockServer::start().await;
    let pages: BTreeMap<String, (Vec<Value>, Option<String>)> = pages
        .into_iter()
        .map(|(k, items, next)| (k.to_owned(), (items, next.map(str::to_owned))))
        .collect();
    // The listing's total, as a server counts it.
    let total: usize = pages.values().map(|(list, _)| list.len()).sum();
    let fail: Arc<Mutex<Vec<String>>> =
        Arc::new(Mutex::new(fail.iter().map(|s| (*s).to_owned()).collect()));
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(move |request: &Request| {
            let next_id = next_id_of(request);
            let mut fail = fail.lock().unwrap();
            if let Some(i) = fail.iter().position(|f| *f == next_id) {
                fail.remove(i);
                return ResponseTemplate::new(500)
                    .set_body_json(json!({"code": 500, "msg": "boom", "ts": 1}));
            }
            let (list, next) = &pages[&next_id];
            ResponseTemplate::new(200).set_body_json(json!({
                "code": 0, "msg": "Success", "ts": 1,
                "data": {"count": list.len(), "total": total, "list": list, "nextId": next}
            }))
        })
        .mount(&server)
        .await;
    server
}

fn three_pages(item: fn(i64) -> Value) -> Vec<(&'static str, Vec<Value>, Option<&'static str>)> {
    vec![
        ("", vec![item(1), item(2), item(3)], Some("p2")),
        ("p2", vec![item(4), item(5)], Some("p3")),
        ("p3", vec![item(6), item(7)], None),
    ]
}

/// The nextIds the server was asked for, in order.
async fn asked(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(next_id_of)
        .collect()
}

type Listing = fn(Client) -> BoxFuture<'static, Result<Vec<String>, Error>>;

/// Streams a listing served in three pages at `at`: every item, in order, one request per page.
#[track_caller]
fn check(at: &str, item: fn(i64) -> Value, listing: Listing, expected: &[&str]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = serve(at, three_pages(item), &[]).await;
        let items = listing(client(&server)).await.unwrap();
        assert_eq!(items, expected, "{at}");
        assert_eq!(asked(&server).await, ["", "p2", "p3"], "{at}");
    });
}

const SEQUENCES: &[&str] = &["1", "2", "3", "4", "5", "6", "7"];

#[test]
fn every_paged_operation_streams_every_item() {
    check(
        &format!("{BASE}/sequences"),
        event,
        |c| {
            Box::pin(async move {
                let s = c.list_room_events_stream("room-1", &ListRoomEventsQuery::default());
                s.map_ok(|e| e.sequence.to_string()).try_collect().await
            })
        },
        SEQUENCES,
    );
    check(
        &format!("{BASE}/widgets/w-1/sequences"),
        event,
        |c| {
            Box::pin(async move {
                let q = ListWidgetEventsQuery::default();
                let s = c.list_widget_events_stream("room-1", "w-1", &q);
                s.map_ok(|e| e.sequence.to_string()).try_collect().await
            })
        },
        SEQUENCES,
    );
    check(
        &format!("{BASE}/widgets/popupQuiz/sequences"),
        event,
        |c| {
            Box::pin(async move {
                let q = ListPopupQuizEventsQuery::default();
                let s = c.list_popup_quiz_events_stream("room-1", &q);
                s.map_ok(|e| e.sequence.to_string()).try_collect().await
            })
        },
        SEQUENCES,
    );
    check(
        &format!("{BASE}/widgets/poll/sequences"),
        event,
        |c| {
            Box::pin(async move {
                let s = c.list_poll_events_stream("room-1", &ListPollEventsQuery::default());
                s.map_ok(|e| e.sequence.to_string()).try_collect().await
            })
        },
        SEQUENCES,
    );
    check(
        &format!("{BASE}/records"),
        recording,
        |c| {
            Box::pin(async move {
                let s = c.list_recordings_stream("room-1", &ListRecordingsQuery::default());
                s.map_ok(|r| r.record_id.unwrap_or_default())
                    .try_collect()
                    .await
            })
        },
        &[
            "rec-1", "rec-2", "rec-3", "rec-4", "rec-5", "rec-6", "rec-7",
        ],
    );
}

#[tokio::test]
async fn the_next_page_is_fetched_only_when_needed() {
    let server = serve(&format!("{BASE}/sequences"), three_pages(event), &[]).await;
    let mut items =
        client(&server).list_room_events_stream("room-1", &ListRoomEventsQuery::default());
    assert!(
        asked(&server).await.is_empty(),
        "nothing before the first poll"
    );
    for _ in 0..3 {
        items.next().await.unwrap().unwrap();
    }
    assert_eq!(asked(&server).await, [""]);
    items.next().await.unwrap().unwrap();
    assert_eq!(asked(&server).await, ["", "p2"]);
    let rest: Vec<_> = items.collect().await;
    assert_eq!(rest.len(), 3);
    assert_eq!(asked(&server).await, ["", "p2", "p3"]);
}

#[tokio::test]
async fn pages_carry_their_next_id_and_the_query_on_every_request() {
    let server = serve(&format!("{BASE}/sequences"), three_pages(event), &[]).await;
    let query = ListRoomEventsQuery::default().next_id("p2").cmd(1110);
    let mut pages = client(&server).list_room_events_pages("room-1", &query);
    assert_eq!(pages.next_id(), Some("p2"), "starts at the query's nextId");
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!((first.next_id(), first.count), (Some("p3"), Some(2)));
    assert_eq!(pages.next_id(), Some("p3"));
    let last = pages.try_next().await.unwrap().unwrap();
    assert_eq!(last.next_id(), None);
    assert!(pages.try_next().await.unwrap().is_none());
    assert!(pages.is_done());
    for request in server.received_requests().await.unwrap() {
        let cmd = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "cmd")
            .map(|(_, v)| v.into_owned());
        assert_eq!(cmd.as_deref(), Some("1110"), "{}", request.url);
    }
    assert_eq!(asked(&server).await, ["p2", "p3"]);
}

#[tokio::test]
async fn an_error_ends_the_stream_and_it_resumes_where_it_stopped() {
    let server = serve(&format!("{BASE}/sequences"), three_pages(event), &["p2"]).await;
    let client = client(&server);
    let mut items = client.list_room_events_stream("room-1", &ListRoomEventsQuery::default());
    let mut got = Vec::new();
    let err = loop {
        match items.next().await.unwrap() {
            Ok(e) => got.push(e.sequence),
            Err(err) => break err,
        }
    };
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(err.status(), Some(500));
    assert!(
        items.next().await.is_none(),
        "the stream ends after an error"
    );
    assert!(items.is_done());
    assert_eq!(items.resume_from(), Some("p2"));
    let query = ListRoomEventsQuery::default().next_id(items.resume_from().unwrap());
    let rest: Vec<i64> = client
        .list_room_events_stream("room-1", &query)
        .map_ok(|e| e.sequence)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, [4, 5, 6, 7]);
}

#[tokio::test]
async fn resuming_mid_page_loses_nothing() {
    let server = serve(&format!("{BASE}/sequences"), three_pages(event), &[]).await;
    let client = client(&server);
    let mut items = client.list_room_events_stream("room-1", &ListRoomEventsQuery::default());
    for _ in 0..4 {
        items.next().await.unwrap().unwrap();
    }
    // Item 4 came from the page fetched with "p2", which still has item 5.
    assert_eq!(items.resume_from(), Some("p2"));
    items.next().await.unwrap().unwrap();
    assert_eq!(
        items.resume_from(),
        Some("p3"),
        "page used up: the next one"
    );
}

#[tokio::test]
async fn an_empty_next_id_ends_and_a_repeated_one_is_an_error() {
    let server = serve(
        &format!("{BASE}/records"),
        vec![("", vec![recording(1)], Some(""))],
        &[],
    )
    .await;
    let all: Vec<_> = client(&server)
        .list_recordings_stream("room-1", &ListRecordingsQuery::default())
        .collect()
        .await;
    assert_eq!(all.len(), 1);

    let server = serve(
        &format!("{BASE}/records"),
        vec![
            ("", vec![recording(1)], Some("a")),
            ("a", vec![recording(2)], Some("a")),
        ],
        &[],
    )
    .await;
    let all: Vec<_> = client(&server)
        .list_recordings_stream("room-1", &ListRecordingsQuery::default())
        .collect()
        .await;
    assert_eq!(all.len(), 3, "two items, then the error");
    let err = all[2].as_ref().unwrap_err();
    assert!(err.to_string().contains("listRecordings"), "{err}");
    assert_eq!(asked(&server).await, ["", "a"], "no endless loop");
}

#[tokio::test]
async fn a_page_without_a_list_has_no_items() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    Mock::given(method("GET"))
        .respond_with(move |_: &Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 0, "ts": 1, "data": {"nextId": null}}))
        })
        .mount(&server)
        .await;
    let all: Vec<_> = client(&server)
        .list_room_events_stream("room-1", &ListRoomEventsQuery::default())
        .collect()
        .await;
    assert!(all.is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_invalid_room_id_is_yielded_as_the_first_error() {
    let server = MockServer::start().await;
    let mut items =
        client(&server).list_room_events_stream("bad/room\u{7f}", &ListRoomEventsQuery::default());
    let err = items.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field, .. } if field == "roomUuid"));
    assert!(items.next().await.is_none());
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Serves raw listRecordings `data` by the nextId asked for.
async fn serve_recordings(pages: Vec<(&'static str, Value)>) -> MockServer {
    let server = MockServer::start().await;
    let pages: BTreeMap<String, Value> =
        pages.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/records")))
        .respond_with(move |request: &Request| {
            ResponseTemplate::new(200).set_body_json(json!({
                "code": 0, "msg": "Success", "ts": 1, "data": pages[&next_id_of(request)]
            }))
        })
        .mount(&server)
        .await;
    server
}

async fn recording_ids(server: &MockServer) -> (Vec<String>, Option<Error>) {
    let mut stream =
        client(server).list_recordings_stream("room-1", &ListRecordingsQuery::default());
    let mut ids = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => ids.push(r.record_id.unwrap_or_default()),
            Err(e) => return (ids, Some(e)),
        }
    }
    (ids, None)
}

#[tokio::test]
async fn recordings_follow_the_next_id_and_total_the_table_places_in_each_entry() {
    let entry = |id: &str, next: Option<&str>| json!({"recordId": id, "nextId": next, "total": 3});
    let server = serve_recordings(vec![
        (
            "",
            json!({"count": 2, "list": [entry("a", Some("p2")), entry("b", Some("p2"))]}),
        ),
        ("p2", json!({"count": 1, "list": [entry("c", None)]})),
    ])
    .await;
    let (ids, err) = recording_ids(&server).await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(asked(&server).await, ["", "p2"]);
}

#[tokio::test]
async fn a_listing_without_next_id_before_its_total_ends_with_an_error_not_silently() {
    // total beside list, and total inside the entries (the table's place).
    for data in [
        json!({"total": 5, "count": 2, "list": [recording(1), recording(2)], "nextId": null}),
        json!({"count": 2, "list": [
            {"recordId": "rec-1", "total": 5}, {"recordId": "rec-2", "total": 5}
        ]}),
    ] {
        let server = serve_recordings(vec![("", data)]).await;
        let (ids, err) = recording_ids(&server).await;
        assert_eq!(ids, ["rec-1", "rec-2"]);
        let err = err.expect("an error after the entries");
        assert!(format!("{err:?}").contains("has 5 entries"), "{err:?}");
    }
    // A listing that has them all ends quietly.
    let server = serve_recordings(vec![(
        "",
        json!({"total": 2, "list": [recording(1), recording(2)], "nextId": null}),
    )])
    .await;
    assert_eq!(recording_ids(&server).await.1.map(|e| e.to_string()), None);
}

//! `cargo xtask docs-check` on the documents kept in `spec/docs/` and on copies edited the way the
//! vendor edits its reference: each edit must give exactly the expected finding, at the edited line.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classroom_codegen::Spec;
use classroom_codegen::docs::{self, DocModel, Exceptions, Finding, Format, Kind};

const ZH: &str = "spec/docs/classroom-restful-api.zh.md";
const EN: &str = "spec/docs/classroom-restful-api.en.txt";
const EXCEPTIONS: &str = "spec/docs-check-exceptions.yaml";

#[test]
fn the_real_documents_report_nothing_beyond_the_exceptions() {
    let findings = check(&Docs::real(), &[]);
    let excepted: Vec<(Kind, &str)> = findings
        .iter()
        .filter(|f| !f.is_open())
        .map(|f| (f.kind, f.key.as_str()))
        .collect();
    assert_eq!(
        excepted,
        [
            (
                Kind::OperationMissing,
                "PATCH /{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/records/states/1"
            ),
            (
                Kind::OperationDuplicate,
                "PUT /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/records/states/{state}"
            ),
            (
                Kind::OperationMissing,
                "GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/popupQuiz/sequences"
            ),
            (
                Kind::OperationMissing,
                "GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences"
            ),
            (Kind::OperationUndocumented, "getRoom"),
        ]
    );
}

#[test]
fn an_endpoint_added() {
    let docs = Docs::real().insert_before(
        "zh",
        "## 事件同步",
        "### 查询课堂概要\n\n#### 接口原型\n\n-   方法：GET\n-   接入点：/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/summary\n",
    );
    check(
        &docs,
        &[(
            Kind::OperationMissing,
            docs.at("zh", "/summary"),
            "GET /{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/summary",
        )],
    );
}

#[test]
fn an_english_endpoint_added() {
    let docs = Docs::real().insert_before(
        "en",
        "Status code",
        "Close a classroom\nDescription\nCloses a classroom.\nPrototype\n- Method: DELETE\n- Endpoint: /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}",
    );
    check(
        &docs,
        &[(
            Kind::OperationMissing,
            docs.at(
                "en",
                "- Endpoint: /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}\n",
            ),
            "DELETE /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}",
        )],
    );
}

#[test]
fn an_endpoint_removed() {
    let docs = Docs::real().replace("zh", "-   方法：GET\n-   接入点：/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users/{userUuid}\n", "");
    check(
        &docs,
        &[(
            Kind::OperationUndocumented,
            spec_at_operation("getUser"),
            "getUser",
        )],
    );
}

#[test]
fn a_field_added_to_a_table() {
    let docs = Docs::real().insert_after(
        "zh",
        "`roomProperties.processes.handsUp.maxAccept`",
        "| `roomProperties.schedule.timezone` | String | 非必填 | 时区。 |",
    );
    let findings = check(
        &docs,
        &[(
            Kind::RequestFieldMissing,
            docs.at("zh", "timezone"),
            "createRoom request roomProperties.schedule.timezone",
        )],
    );
    assert_eq!(
        findings[0].spec_pointer,
        "/components/schemas/RoomSchedule/properties"
    );
    insta::with_settings!({filters => vec![(r"spec/classroom\.yaml:\d+", "spec/classroom.yaml:[line]")]}, {
        insta::assert_snapshot!(render(&docs, &findings));
    });
}

#[test]
fn a_field_added_to_a_list_in_a_cell() {
    let docs = Docs::real().replace(
        "zh",
        "<li>`updateTime`: 更新时间。</li>",
        "<li>`updateTime`: 更新时间。</li><li>`avatar`: 头像地址。</li>",
    );
    check(
        &docs,
        &[(
            Kind::ResponseFieldMissing,
            docs.at("zh", "头像地址"),
            "getUser response data.avatar",
        )],
    );
}

#[test]
fn a_field_added_to_an_english_table() {
    let docs = Docs::real().insert_after(
        "en",
        "dirty | Object | (Optional) The user privilege:",
        "|\nreason | String | (Optional) Why the user is kicked out.",
    );
    check(
        &docs,
        &[(
            Kind::RequestFieldMissing,
            docs.at("en", "reason | String"),
            "kickUser request reason",
        )],
    );
}

#[test]
fn a_field_added_to_a_quiz_table_must_be_in_a_quiz_shape() {
    let docs = Docs::real().insert_after(
        "zh",
        "| changeProperties.extra.totalCount          |",
        "    | changeProperties.extra.timeLimit           | Integer  | 答题限时 |",
    );
    let findings = check(
        &docs,
        &[(
            Kind::ResponseFieldMissing,
            docs.at("zh", "答题限时"),
            "listPopupQuizEvents event-data changeProperties.extra.timeLimit",
        )],
    );
    assert_eq!(
        findings[0].spec_pointer,
        "/components/schemas/PopupQuizStartedExtra/properties"
    );
}

#[test]
fn a_query_parameter_added() {
    let docs = Docs::real().insert_after(
        "zh",
        "| `cmd`    | Integer | 非必填  |",
        "| `order` | String | 非必填 | 排序。 |",
    );
    check(
        &docs,
        &[(
            Kind::ParameterMissing,
            docs.at("zh", "| `order`"),
            "listRoomEvents query order",
        )],
    );
}

#[test]
fn an_enum_value_added() {
    let docs = Docs::real().replace(
        "zh",
        "<li>`4`: 小班课</li>",
        "<li>`4`: 小班课</li><li>`6`: 双师课</li>",
    );
    check(
        &docs,
        &[(
            Kind::EnumValueMissing,
            docs.at("zh", "双师课"),
            "createRoom request roomType=6",
        )],
    );
}

#[test]
fn a_new_cmd_in_the_events_list() {
    let docs = Docs::real().insert_before(
        "en",
        "The users who wave their hands change",
        "The classroom is muted\nWhen the cmd\nproperty of an event is 1601\n, the event indicates the classroom is muted, and the data\nproperty contains the following fields:\nParameter | Type | Description |\n---|---|---|\nmuted | Boolean | Whether the classroom is muted. |\nExample",
    );
    check(
        &docs,
        &[(
            Kind::EventMissing,
            docs.at("en", "property of an event is 1601"),
            "cmd 1601",
        )],
    );
}

#[test]
fn a_field_added_to_an_event() {
    let docs = Docs::real().insert_after(
        "en",
        "message | String | The message. |",
        "sentAt | Number | When the message was sent. |",
    );
    check(
        &docs,
        &[(
            Kind::EventFieldMissing,
            docs.at("en", "sentAt"),
            "cmd 3 data.sentAt",
        )],
    );
}

#[test]
fn a_new_error_code() {
    let docs = Docs::real()
        .insert_before(
            "zh",
            "| 500        | 500 ",
            "| 429        | 30429100   | 请求过于频繁。 |",
        )
        .insert_before("en", "500 | 500 |", "429 | 30429100 | Too many requests. |");
    check(
        &docs,
        &[
            (
                Kind::ErrorCodeMissing,
                docs.at("zh", "30429100"),
                "30429100",
            ),
            (
                Kind::ErrorCodeMissing,
                docs.at("en", "30429100"),
                "30429100",
            ),
        ],
    );
}

#[test]
fn an_example_with_a_wrong_type() {
    let docs = Docs::real().replace("zh", "\"duration\": 600,", "\"duration\": \"600\",");
    let findings = check(
        &docs,
        &[(
            Kind::ExampleInvalid,
            docs.at("zh", "\"duration\": \"600\""),
            "createRoom request /roomProperties/schedule/duration",
        )],
    );
    assert!(
        findings[0]
            .message
            .ends_with("the spec says integer, the example has string \"600\""),
        "{}",
        findings[0].message
    );
    assert_eq!(
        findings[0].spec_pointer,
        "/components/schemas/RoomSchedule/properties/duration"
    );
}

#[test]
fn a_quiz_example_is_checked_against_its_shape() {
    let docs = Docs::real().replace(
        "zh",
        "\"extra.totalCount\": NumberInt(\"1\"),\n        \"extra.answerState\": NumberInt(\"0\"),",
        "\"extra.totalCount\": \"one\",\n        \"extra.answerState\": NumberInt(\"0\"),",
    );
    let findings = check(
        &docs,
        &[(
            Kind::ExampleInvalid,
            docs.at("zh", "\"extra.totalCount\": \"one\""),
            "listPopupQuizEvents event-data /changeProperties/extra/totalCount",
        )],
    );
    assert!(
        findings[0].message.contains("(as PopupQuizEnded)"),
        "{}",
        findings[0].message
    );
}

#[test]
fn an_example_that_is_not_json() {
    let docs = Docs::real().replace(
        "zh",
        "\"roomName\": \"test_class\",",
        "\"roomName\": test_class,",
    );
    check(
        &docs,
        &[(
            Kind::ExampleUnreadable,
            docs.at("zh", "--data-raw '{\n    \"roomName\""),
            "createRoom request #1",
        )],
    );
}

#[test]
fn an_exception_the_vendor_fixed_is_reported() {
    let docs = Docs::real().replace(
        "en",
        "- Request path: /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences",
        "- Request path: /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences",
    );
    check(
        &docs,
        &[(
            Kind::ExceptionUnused,
            docs.at("exceptions", "- kind: operation-missing\n    doc: en\n    key: GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences"),
            "operation-missing en GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences",
        )],
    );
}

#[test]
fn an_exception_that_names_no_operation_is_reported() {
    let docs = Docs::real().replace(
        "exceptions",
        "poll/sequences\n    operation: listPollEvents",
        "poll/sequences\n    operation: listPollEvent",
    );
    let findings = check(
        &docs,
        &[(
            Kind::ExceptionUnused,
            docs.at(
                "exceptions",
                "- kind: operation-missing\n    doc: en\n    key: GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences",
            ),
            "operation-missing en GET /edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences",
        )],
    );
    assert!(
        findings[0]
            .message
            .ends_with("maps it to listPollEvent, which the spec does not have"),
        "{}",
        findings[0].message
    );
}

#[test]
fn text_that_is_no_reference_is_refused() {
    let err = docs::parse("notes.txt", "Nothing here.\n").expect_err("no operation");
    assert!(err.message.starts_with("no operation found"), "{err}");
}

/// Where a finding must be: the document (or the spec, or the exceptions file) and the line.
type At = (String, usize);

/// Checks a set of documents against the spec with the recorded exceptions, and asserts that the
/// findings outside the exceptions are exactly `expected` (kind, place, key). Returns all findings.
#[track_caller]
fn check(docs: &Docs, expected: &[(Kind, At, &str)]) -> Vec<Finding> {
    let model = docs.model();
    let exceptions =
        Exceptions::parse(&docs.exceptions, EXCEPTIONS).unwrap_or_else(|e| panic!("{e}"));
    let findings = docs::check(&model, spec(), &exceptions);
    let open: Vec<(Kind, At, &str)> = findings
        .iter()
        .filter(|f| f.is_open())
        .map(|f| (f.kind, (f.doc.clone(), f.line), f.key.as_str()))
        .collect();
    let expected: Vec<(Kind, At, &str)> = expected.to_vec();
    assert_eq!(
        open,
        expected,
        "\n{}",
        docs::render(&model, &findings, &spec().file, Format::Text)
    );
    // The open findings first, then the recorded exceptions.
    let (mut all, excepted): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(Finding::is_open);
    all.extend(excepted);
    all
}

fn render(docs: &Docs, findings: &[Finding]) -> String {
    docs::render(&docs.model(), findings, &spec().file, Format::Text)
}

/// The two documents and the exceptions file, as text.
#[derive(Clone)]
struct Docs {
    zh: String,
    en: String,
    exceptions: String,
}

impl Docs {
    fn real() -> Docs {
        Docs {
            zh: read(ZH),
            en: read(EN),
            exceptions: read(EXCEPTIONS),
        }
    }

    fn text(&mut self, doc: &str) -> &mut String {
        match doc {
            "zh" => &mut self.zh,
            "en" => &mut self.en,
            "exceptions" => &mut self.exceptions,
            other => unreachable!("no document {other}"),
        }
    }

    /// Replaces the one occurrence of `from`.
    fn replace(mut self, doc: &str, from: &str, to: &str) -> Docs {
        let text = self.text(doc);
        assert_eq!(
            text.matches(from).count(),
            1,
            "{doc}: `{from}` is not unique"
        );
        *text = text.replacen(from, to, 1);
        self
    }

    /// Inserts lines after the line that contains `anchor`.
    fn insert_after(mut self, doc: &str, anchor: &str, lines: &str) -> Docs {
        let text = self.text(doc);
        let at = text
            .find(anchor)
            .unwrap_or_else(|| panic!("{doc}: no `{anchor}`"));
        let end = at + text[at..].find('\n').expect("a line end");
        text.insert_str(end + 1, &format!("{lines}\n"));
        self
    }

    /// Inserts lines before the line that contains `anchor`.
    fn insert_before(mut self, doc: &str, anchor: &str, lines: &str) -> Docs {
        let text = self.text(doc);
        let at = text
            .find(anchor)
            .unwrap_or_else(|| panic!("{doc}: no `{anchor}`"));
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text.insert_str(start, &format!("{lines}\n"));
        self
    }

    /// The document and line of the first occurrence of `needle` in the edited text.
    fn at(&self, doc: &str, needle: &str) -> At {
        match doc {
            "zh" => (ZH.to_owned(), line_of(&self.zh, needle)),
            "en" => (EN.to_owned(), line_of(&self.en, needle)),
            "exceptions" => (EXCEPTIONS.to_owned(), line_of(&self.exceptions, needle)),
            other => unreachable!("no document {other}"),
        }
    }

    fn model(&self) -> DocModel {
        let mut model = docs::parse(ZH, &self.zh).expect("the Chinese document");
        model.merge(docs::parse(EN, &self.en).expect("the English document"));
        model
    }
}

/// The 1-based line where `needle` starts.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("no `{needle}` in the text"));
    text[..at].matches('\n').count() + 1
}

/// The spec's line of an operation.
fn spec_at_operation(id: &str) -> At {
    let op = spec()
        .model
        .operations
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"));
    (
        spec().file.clone(),
        spec().line(&op.pointer).expect("a located operation"),
    )
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        Spec::load(&read("spec/classroom.yaml"), "spec/classroom.yaml")
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

fn read(path: &str) -> String {
    let path = root().join(path);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

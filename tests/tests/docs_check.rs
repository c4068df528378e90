//! `cargo xtask docs-check` on the documents kept in `spec/docs/` and on copies edited the way the
//! vendor edits its reference: each edit must give exactly the expected finding, at the edited line.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classroom_codegen::Spec;
use classroom_codegen::docs::{self, DocModel, Exceptions, Finding, Format, Kind};

const ZH: &str = "spec/docs/classroom-restful-api.zh.md";
const EN: &str = "spec/docs/classroom-restful-api.en.txt";
const MDX: &str = "spec/docs/classroom-api.2026-01-19.mdx";
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
                Kind::RequestFieldMissing,
                "updateRoomProperties request roomProperties"
            ),
            (Kind::ExampleInvalid, "listRecordings request #1"),
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
    let docs = Docs::real()
        .replace("zh", "-   方法：GET\n-   接入点：/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users/{userUuid}\n", "")
        .replace(
            "mdx",
            "- Method: GET\n- Endpoint: `/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users/{userUuid}`\n",
            "",
        );
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
    // The English text once wrote PATCH where the spec has PUT; the exception recorded it. Now the
    // documents agree with the spec, so the exception is stale.
    let docs = Docs::real().append_exception(
        "  - kind: operation-missing\n    doc: en\n    key: PATCH /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/states/{state}\n    operation: setRoomState\n    reason: The English text wrote PATCH.",
    );
    check(
        &docs,
        &[(
            Kind::ExceptionUnused,
            docs.at(
                "exceptions",
                "  - kind: operation-missing\n    doc: en\n    key: PATCH /{region}",
            ),
            "operation-missing en PATCH /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/states/{state}",
        )],
    );
}

#[test]
fn a_path_without_the_region_prefix_matches_its_operation() {
    // The English quiz and poll paths have no `/{region}` prefix; they match all the same.
    let model = Docs::real().model();
    let quiz: Vec<&str> = model
        .operations
        .iter()
        .filter(|o| o.path.contains("popupQuiz") || o.path.contains("/poll/"))
        .map(|o| o.path.as_str())
        .collect();
    assert!(quiz.contains(&"/edu/apps/{appId}/v2/rooms/{roomUUid}/widgets/poll/sequences"));
    check(&Docs::real(), &[]);
}

#[test]
fn an_exception_that_names_no_operation_is_reported() {
    let docs = Docs::real().replace(
        "exceptions",
        "records/states/{state}\n    operation: updateRecording",
        "records/states/{state}\n    operation: updateRecordin",
    );
    let findings = check(
        &docs,
        &[(
            Kind::ExceptionUnused,
            docs.at(
                "exceptions",
                "- kind: operation-duplicate\n    doc: en\n    key: PUT /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/records/states/{state}",
            ),
            "operation-duplicate en PUT /{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/records/states/{state}",
        )],
    );
    assert!(
        findings[0]
            .message
            .ends_with("maps it to updateRecordin, which the spec does not have"),
        "{}",
        findings[0].message
    );
}

#[test]
fn text_that_is_no_reference_is_refused() {
    let err = docs::parse("notes.txt", "Nothing here.\n").expect_err("no operation");
    assert!(err.message.starts_with("no operation found"), "{err}");
}

const MDX_2026: &str = "tests/fixtures/docs/classroom-api.2026-01-19.mdx";
const MDX_2022: &str = "tests/fixtures/docs/classroom-api.2022-10-16.mdx";

#[test]
fn the_2026_mdx_reference() {
    let findings = mdx_findings(MDX_2026, &read(MDX_2026));
    let missing = |findings: &[Finding]| -> Vec<(usize, String)> {
        findings
            .iter()
            .filter(|f| f.kind == Kind::OperationMissing)
            .map(|f| (f.line, f.operation.clone()))
            .collect()
    };
    // Every operation of the reference is in the spec ("Query a classroom" is getRoom)...
    assert_eq!(missing(&findings), []);
    // ...and one that is not is reported, alone, at its endpoint line.
    let edited = insert_before(
        &read(MDX_2026),
        "## Recording-related",
        "### Close a classroom\n\n#### Prototype\n\n- Method: `POST`\n- Endpoint: `{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/close`\n",
    );
    assert_eq!(
        missing(&mdx_findings(MDX_2026, &edited)),
        [(
            line_of(
                &edited,
                "- Endpoint: `{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/close`"
            ),
            "Close a classroom".to_owned()
        )]
    );
    snapshot("mdx_2026", MDX_2026, &read(MDX_2026), &findings);
}

#[test]
fn the_2022_mdx_reference() {
    let findings = mdx_findings(MDX_2022, &read(MDX_2022));
    assert!(
        findings.iter().all(|f| f.kind != Kind::OperationMissing),
        "{findings:#?}"
    );
    let model = docs::parse(MDX_2022, &read(MDX_2022)).expect("the 2022 reference");
    assert_eq!(model.documents[0].format, docs::DocFormat::Mdx);
    assert_eq!(model.operations.len(), 19);
    snapshot("mdx_2022", MDX_2022, &read(MDX_2022), &findings);
}

#[test]
fn the_formats_and_languages_are_told_from_the_content() {
    for (path, format, lang) in [
        (MDX_2026, docs::DocFormat::Mdx, docs::Lang::En),
        (ZH, docs::DocFormat::Markdown, docs::Lang::Zh),
        (EN, docs::DocFormat::Text, docs::Lang::En),
    ] {
        let model = docs::parse("no-extension", &read(path)).expect(path);
        let d = &model.documents[0];
        assert_eq!((d.format, d.lang), (format, lang), "{path}");
    }
}

#[test]
fn mdx_an_endpoint_added() {
    check_mdx_edit(
        |t| {
            insert_before(
                t,
                "## Recording-related",
                "### Close a classroom\n\n#### Prototype\n\n- Method: `DELETE`\n- Endpoint: `/\\{region}/edu/apps/\\{appId}/v2/rooms/\\{roomUuid}`\n",
            )
        },
        &[(
            Kind::OperationMissing,
            "- Endpoint: `/\\{region}/edu/apps/\\{appId}/v2/rooms/\\{roomUuid}`",
            "DELETE /{region}/edu/apps/{appId}/v2/rooms/{roomUuid}",
        )],
    );
}

#[test]
fn mdx_an_endpoint_on_two_lines_without_backticks() {
    check_mdx_edit(
        |t| {
            insert_before(
                t,
                "## Recording-related",
                "### Close a classroom\n\n#### Prototype\n\n- Method:\n  DELETE\n- Endpoint:\n  edu/apps/\\{appId}/v2/rooms/\\{roomUuid}/close\n",
            )
        },
        &[(
            Kind::OperationMissing,
            "  edu/apps/\\{appId}/v2/rooms/\\{roomUuid}/close",
            "DELETE edu/apps/{appId}/v2/rooms/{roomUuid}/close",
        )],
    );
}

#[test]
fn mdx_a_table_row_added() {
    check_mdx_edit(
        |t| {
            insert_after(
                t,
                "| `roomProperties.schedule.closeDelay`",
                "| `roomProperties.schedule.timezone` | String | (Optional) The time zone. |",
            )
        },
        &[(
            Kind::RequestFieldMissing,
            "`roomProperties.schedule.timezone`",
            "createRoom request roomProperties.schedule.timezone",
        )],
    );
}

#[test]
fn mdx_a_cmd_added() {
    check_mdx_edit(
        |t| {
            insert_before(
                t,
                "### The users who wave their hands change",
                "### The classroom is muted\n\nWhen the `cmd` property of an event is `1601`, the classroom is muted, and the `data` property contains the following fields:\n\n| Parameter | Type | Description |\n| --- | --- | --- |\n| `muted` | Boolean | Whether the classroom is muted. |\n",
            )
        },
        &[(
            Kind::EventMissing,
            "When the `cmd` property of an event is `1601`",
            "cmd 1601",
        )],
    );
}

#[test]
fn mdx_an_error_code_added() {
    check_mdx_edit(
        |t| {
            insert_before(
                t,
                "| 500                  | 500 ",
                "| 429 | 30429100 | Too many requests. |",
            )
        },
        &[(Kind::ErrorCodeMissing, "| 429 | 30429100", "30429100")],
    );
}

#[test]
fn mdx_an_example_changed() {
    check_mdx_edit(
        |t| {
            t.replacen(
                "            \"duration\": 600,",
                "            \"duration\": \"600\",",
                1,
            )
        },
        &[(
            Kind::ExampleInvalid,
            "\"duration\": \"600\"",
            "createRoom request /roomProperties/schedule/duration",
        )],
    );
}

#[test]
fn mdx_an_example_that_cannot_be_read_is_a_finding() {
    check_mdx_edit(
        |t| {
            t.replacen(
                "            \"duration\": 600,",
                "            \"duration\": 600 600,",
                1,
            )
        },
        &[(
            Kind::ExampleUnreadable,
            "--data-raw '{\n    \"roomName\": \"test_class\"",
            "createRoom request #1",
        )],
    );
}

#[test]
fn the_suggestions_for_the_2026_reference_load_and_generate() {
    // The spec has all of the reference; a field and an enum value the vendor might add are not.
    let text = insert_after(
        &read(MDX_2026),
        "| `roomProperties.schedule.closeDelay`",
        "| `roomProperties.schedule.timezone` | String | (Optional) The time zone. |",
    )
    .replacen(
        "<li>`10`: Small cloud classroom. </li>",
        "<li>`10`: Small cloud classroom. </li><li>`12`: Huge classroom. </li>",
        1,
    );
    let model = docs::parse(MDX_2026, &text).expect("the 2026 reference");
    let mut findings = mdx_findings(MDX_2026, &text);
    docs::suggest(&model, spec(), &mut findings);
    let suggested: Vec<&Finding> = findings
        .iter()
        .filter(|f| !f.suggestions.is_empty())
        .collect();
    let kinds: BTreeSet<Kind> = suggested.iter().map(|f| f.kind).collect();
    assert!(
        kinds.contains(&Kind::RequestFieldMissing) && kinds.contains(&Kind::EnumValueMissing),
        "{kinds:?}"
    );
    // The suggestions are printed beside their findings, and are in the JSON output.
    let rendered = docs::render(&model, &findings, &spec().file, Format::Text);
    assert!(rendered.contains(&format!(
        "    suggest: add at {}:",
        suggested[0].suggestions[0].at
    )));
    let json: serde_json::Value =
        serde_json::from_str(&docs::render(&model, &findings, &spec().file, Format::Json))
            .expect("JSON output");
    let in_json = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f.get("suggestions").is_some())
        .count();
    assert_eq!(in_json, suggested.len());

    // Pasted into a copy of the spec, they load and generate, and close their findings.
    let (patched, generated) = paste(&suggested);
    assert!(!generated.files.is_empty());
    let exceptions =
        Exceptions::parse(&Docs::real().exceptions, EXCEPTIONS).unwrap_or_else(|e| panic!("{e}"));
    let after = docs::check(&model, &patched, &exceptions);
    let still: Vec<(Kind, &str)> = suggested
        .iter()
        .filter(|f| after.iter().any(|a| a.kind == f.kind && a.key == f.key))
        .map(|f| (f.kind, f.key.as_str()))
        .collect();
    assert_eq!(still, []);
}

#[test]
fn a_suggested_operation_becomes_a_client_method() {
    // A new endpoint on a new path: the draft path item, pasted, is generated as a method.
    let text = insert_before(
        &read(MDX_2026),
        "## Recording-related",
        "### Close a classroom\n\n#### Prototype\n\n- Method: POST\n- Endpoint: `/{region}/edu/apps/{appId}/v2/rooms/{roomUUid}/close`\n\n#### Request parameters\n\n**Request body parameters**\n\n| Parameter | Type | Description |\n| :-- | :-- | :-- |\n| `reason` | String | (Optional) Why. |\n| `delay` | Number | (Optional) Seconds to wait. |\n\n#### Response parameters\n\n| Parameter | Type | Description |\n| :-- | :-- | :-- |\n| `code` | Integer | Status. |\n| `data` | Object | <ul><li>`closedAt`: Number, when.</li></ul> |\n",
    );
    let model = docs::parse(MDX_2026, &text).expect("the edited reference");
    let mut findings = mdx_findings(MDX_2026, &text);
    docs::suggest(&model, spec(), &mut findings);
    let op: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == Kind::OperationMissing && f.key.ends_with("/close"))
        .collect();
    assert_eq!(op.len(), 1);
    assert_eq!(op[0].suggestions[0].at, "/paths");
    let (_, generated) = paste(&op);
    let code = generated.files.values().cloned().collect::<String>();
    assert!(code.contains("pub fn close_a_classroom<'a>("), "no method");
}

#[test]
fn a_suggested_event_becomes_a_variant() {
    let text = insert_before(
        &read(MDX_2026),
        "### The users who wave their hands change",
        "### The classroom is muted\n\nWhen the `cmd` property of an event is `1601`, the classroom is muted, and the `data` property contains the following fields:\n\n| Parameter | Type | Description |\n| --- | --- | --- |\n| `muted` | Boolean | Whether the classroom is muted. |\n| `operator` | Object | Who:<ul><li>`userUuid`: String. The user ID.</li></ul> |\n",
    );
    let model = docs::parse(MDX_2026, &text).expect("the edited reference");
    let mut findings = mdx_findings(MDX_2026, &text);
    docs::suggest(&model, spec(), &mut findings);
    let event: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == Kind::EventMissing)
        .collect();
    assert_eq!(event.len(), 1);
    let (patched, generated) = paste(&event);
    let code = generated.files.values().cloned().collect::<String>();
    assert!(code.contains("Cmd1601Event"), "no variant");
    let exceptions =
        Exceptions::parse(&Docs::real().exceptions, EXCEPTIONS).unwrap_or_else(|e| panic!("{e}"));
    let after = docs::check(&model, &patched, &exceptions);
    let left: Vec<&str> = after
        .iter()
        .filter(|f| f.key.starts_with("cmd 1601"))
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(left, Vec::<&str>::new());
}

/// Pastes the findings' suggestions into a copy of the spec; returns the spec loaded and generated.
fn paste(findings: &[&Finding]) -> (Spec, classroom_codegen::Generated) {
    let mut value = spec().value.clone();
    for f in findings {
        for s in &f.suggestions {
            s.apply(&mut value)
                .unwrap_or_else(|e| panic!("{}:{}: {e}\n{}", f.doc, f.line, s.yaml));
        }
    }
    let text = serde_json::to_string_pretty(&value).expect("JSON");
    let patched = Spec::load(&text, "patched.yaml").unwrap_or_else(|e| panic!("{e}"));
    let generated = classroom_codegen::generate_from(&patched).unwrap_or_else(|e| panic!("{e}"));
    (patched, generated)
}

#[test]
fn the_2026_reference_rendered_as_html_says_what_the_mdx_says() {
    // With an endpoint the spec lacks, so that a finding's line in the page is checked too.
    let mdx = insert_before(
        &read(MDX_2026),
        "## Recording-related",
        "### Close a classroom\n\n#### Prototype\n\n- Method: `POST`\n- Endpoint: `{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/close`\n",
    );
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    options.insert(pulldown_cmark::Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, pulldown_cmark::Parser::new_ext(&mdx, options));
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>Classroom REST API</title>\n<script>if (a < b) {{ document.write('<h2>Events</h2>'); }}</script>\n</head><body>\n<nav><ul><li><a href=\"/\">Docs</a></li></ul></nav>\n<article>\n{body}</article></body></html>\n"
    );
    let html = docs::parse("classroom-api.html", &page).expect("the page");
    let from_mdx = docs::parse(MDX_2026, &mdx).expect("the MDX");
    assert_eq!(html.documents[0].format, docs::DocFormat::Html);
    assert_eq!(html.documents[0].lang, docs::Lang::En);
    let counts = |m: &DocModel| {
        (
            m.operations.len(),
            m.field_count(),
            m.events.len(),
            m.error_codes.len(),
            m.examples.len(),
        )
    };
    assert_eq!(counts(&html), counts(&from_mdx));
    let keys = |fs: Vec<Finding>| -> Vec<(Kind, String)> {
        let mut k: Vec<_> = fs.into_iter().map(|f| (f.kind, f.key)).collect();
        k.sort();
        k
    };
    let html_findings = mdx_findings("classroom-api.html", &page);
    let missing: Vec<(usize, &str)> = html_findings
        .iter()
        .filter(|f| f.kind == Kind::OperationMissing)
        .map(|f| (f.line, f.operation.as_str()))
        .collect();
    assert_eq!(
        missing,
        [(
            line_of(
                &page,
                "Endpoint: <code>{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/close</code>"
            ),
            "Close a classroom"
        )]
    );
    assert_eq!(keys(html_findings), keys(mdx_findings(MDX_2026, &mdx)));
}

/// The findings of one document against the spec and the recorded exceptions.
fn mdx_findings(name: &str, text: &str) -> Vec<Finding> {
    let model = docs::parse(name, text).unwrap_or_else(|e| panic!("{e}"));
    let exceptions =
        Exceptions::parse(&Docs::real().exceptions, EXCEPTIONS).unwrap_or_else(|e| panic!("{e}"));
    docs::check(&model, spec(), &exceptions)
}

/// Edits the 2026 MDX reference and asserts that the findings it adds are exactly `expected`
/// (kind, the text at the finding's line, key).
#[track_caller]
fn check_mdx_edit(edit: impl Fn(&str) -> String, expected: &[(Kind, &str, &str)]) {
    let base = read(MDX_2026);
    let edited = edit(&base);
    assert_ne!(edited, base, "the edit changed nothing");
    let before: Vec<(Kind, String)> = mdx_findings(MDX_2026, &base)
        .into_iter()
        .map(|f| (f.kind, f.key))
        .collect();
    let added: Vec<(Kind, usize, String)> = mdx_findings(MDX_2026, &edited)
        .into_iter()
        .filter(|f| f.is_open() && !before.contains(&(f.kind, f.key.clone())))
        .map(|f| (f.kind, f.line, f.key))
        .collect();
    let expected: Vec<(Kind, usize, String)> = expected
        .iter()
        .map(|(k, at, key)| (*k, line_of(&edited, at), (*key).to_owned()))
        .collect();
    assert_eq!(added, expected);
}

fn insert_before(text: &str, anchor: &str, lines: &str) -> String {
    let at = text.find(anchor).unwrap_or_else(|| panic!("no `{anchor}`"));
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    format!("{}{lines}\n{}", &text[..start], &text[start..])
}

fn insert_after(text: &str, anchor: &str, lines: &str) -> String {
    let at = text.find(anchor).unwrap_or_else(|| panic!("no `{anchor}`"));
    let end = at + text[at..].find('\n').expect("a line end") + 1;
    format!("{}{lines}\n{}", &text[..end], &text[end..])
}

fn snapshot(name: &str, doc: &str, text: &str, findings: &[Finding]) {
    let model = docs::parse(doc, text).expect("a reference");
    let rendered = docs::render(&model, findings, &spec().file, Format::Text);
    insta::with_settings!({filters => vec![(r"spec/classroom\.yaml:\d+", "spec/classroom.yaml:[line]")]}, {
        insta::assert_snapshot!(name, rendered);
    });
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

/// The three documents of spec/docs/ (what `cargo xtask docs-check` reads by default) and the
/// exceptions file, as text.
#[derive(Clone)]
struct Docs {
    zh: String,
    en: String,
    mdx: String,
    exceptions: String,
}

impl Docs {
    fn real() -> Docs {
        Docs {
            zh: read(ZH),
            en: read(EN),
            mdx: read(MDX),
            exceptions: read(EXCEPTIONS),
        }
    }

    /// Adds an entry at the end of the exceptions list.
    fn append_exception(mut self, entry: &str) -> Docs {
        if !self.exceptions.ends_with('\n') {
            self.exceptions.push('\n');
        }
        self.exceptions.push_str(entry);
        self.exceptions.push('\n');
        self
    }

    fn text(&mut self, doc: &str) -> &mut String {
        match doc {
            "zh" => &mut self.zh,
            "en" => &mut self.en,
            "mdx" => &mut self.mdx,
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
            "mdx" => (MDX.to_owned(), line_of(&self.mdx, needle)),
            "exceptions" => (EXCEPTIONS.to_owned(), line_of(&self.exceptions, needle)),
            other => unreachable!("no document {other}"),
        }
    }

    fn model(&self) -> DocModel {
        let mut model = docs::parse(ZH, &self.zh).expect("the Chinese document");
        model.merge(docs::parse(EN, &self.en).expect("the English document"));
        model.merge(docs::parse(MDX, &self.mdx).expect("the English MDX reference"));
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

//! Every instance the spec allows of every event decodes to its typed variant: the generated
//! `Event` and the spec agree (a mismatch would show as `Malformed`). The spec is closed to what
//! the documents list (`json_schema::documented_only`): the forms it admits beyond them, an
//! unknown cmd, unlisted enum values, decimal strings, are what the SDK keeps as `Unknown` or
//! reads leniently (`spec_examples::what_the_sdk_tolerates_is_valid_under_the_spec`).

use classroom_api::events::{Event, EventPayload};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

#[test]
fn schema_valid_events_decode_typed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let text = std::fs::read_to_string(root.join("spec/classroom.yaml")).unwrap();
    let mut spec = classroom_codegen::Spec::load(&text, "spec/classroom.yaml")
        .unwrap()
        .value;
    classroom_codegen::json_schema::documented_only(&mut spec);
    let variants = spec
        .pointer("/components/schemas/Event/oneOf")
        .and_then(Value::as_array)
        .unwrap()
        .clone();
    let mut rng = StdRng::seed_from_u64(7);
    let mut by_cmd = std::collections::BTreeMap::new();
    for i in 0..3000 {
        let variant = &variants[i % variants.len()];
        let instance = classroom_tests::instance(&spec, variant, &mut rng, 0);
        let text = serde_json::to_string(&instance).unwrap();
        let event: Event = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        match &event.payload {
            EventPayload::Unknown { cmd, .. } => {
                panic!("cmd {cmd} is in the spec but decoded as unknown: {text}")
            }
            EventPayload::Malformed { error, .. } => {
                panic!("schema-valid event decoded as malformed ({error}): {text}")
            }
            _ => *by_cmd.entry(event.cmd).or_insert(0) += 1,
        }
    }
    assert_eq!(
        by_cmd.len(),
        EventPayload::KNOWN_CMDS.len(),
        "every documented cmd was exercised"
    );
}

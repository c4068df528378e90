//! What the generated code calls: operation descriptions, request assembly, lenient scalars.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

use crate::error::Error;

/// What the client knows of one operation of the spec (generated in [`crate::operations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// The spec's first tag.
    pub tag: &'static str,
    /// Safe to repeat: retried on timeouts and 429/502/503/504. POSTs are not, and are retried
    /// only when the request surely never reached the server (a failed connection).
    pub idempotent: bool,
    /// Whether the operation sends a JSON body.
    pub has_body: bool,
}

/// One request, assembled by a generated method.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub op: &'static OperationInfo,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    /// Header parameters of the spec (`in: header`), checked when added.
    pub headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    pub body: Option<bytes::Bytes>,
    /// For the tracing span only.
    pub room_uuid: Option<std::borrow::Cow<'a, str>>,
    /// This call's own settings ([`crate::Request`]); `None` for the client's.
    pub options: Option<Box<crate::request::CallOptions>>,
    /// Members of `data` that the server may put beside it in the envelope instead (the spec
    /// describes both places); moved into `data` when `data` lacks them.
    pub hoist: &'static [&'static str],
}

impl Call<'_> {
    pub(crate) fn new(op: &'static OperationInfo, path: String) -> Self {
        Call {
            op,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            room_uuid: None,
            options: None,
            hoist: &[],
        }
    }

    /// Adds a header parameter; a value that cannot be a header (a line break, a control
    /// character) is invalid input, and nothing is sent.
    #[allow(
        dead_code,
        reason = "called by generated code only when the spec has a header parameter"
    )]
    pub(crate) fn header(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        let invalid = |reason: String| Error::InvalidInput {
            operation: self.op.id,
            field: name.to_owned(),
            reason,
        };
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| invalid(format!("is not a header name: {e}")))?;
        let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
            invalid(
                "is not a valid header value (line breaks and control characters are not)"
                    .to_owned(),
            )
        })?;
        self.headers.push((name, value));
        Ok(())
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(&mut self, body: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidInput {
            operation: self.op.id,
            field: "body".to_owned(),
            reason: format!("cannot be serialized as JSON: {e}"),
        })?;
        self.body = Some(bytes.into());
        Ok(())
    }
}

/// Everything but unreserved characters is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path segment.
pub(crate) fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// An id argument of an operation, checked (once, when it is not typed yet).
pub(crate) fn id_arg<T>(
    op: &'static OperationInfo,
    value: impl TryInto<T, Error: Into<crate::ids::IdError>>,
) -> Result<T, Error> {
    value.try_into().map_err(|e| e.into().into_error(op))
}

/// `data` with the envelope members named in `names` moved in where `data` lacks them; `None`
/// when the body has none of them beside `data` (or `data` is not an object).
pub(crate) fn hoist_into_data(
    body: &[u8],
    data: Option<&RawValue>,
    names: &[&str],
) -> Option<Box<RawValue>> {
    let envelope: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).ok()?;
    let mut merged = match data.map(RawValue::get) {
        None | Some("null") => serde_json::Map::new(),
        Some(raw) => match serde_json::from_str(raw).ok()? {
            serde_json::Value::Object(m) => m,
            _ => return None,
        },
    };
    let mut moved = false;
    for name in names {
        if let Some(value) = envelope.get(*name).filter(|v| !v.is_null())
            && merged.get(*name).is_none_or(serde_json::Value::is_null)
        {
            merged.insert((*name).to_owned(), value.clone());
            moved = true;
        }
    }
    if !moved {
        return None;
    }
    serde_json::value::to_raw_value(&merged).ok()
}

/// An integer or a string, as lenient enums accept them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    Int(i64),
    Str(String),
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Scalar::Int(v as i64))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An empty JSON object, for an event without `data` (or with a null one).
pub(crate) fn empty_object_raw() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("{} is valid JSON")
}

/// The raw JSON as a value (for unknown and malformed events).
pub(crate) fn raw_to_value(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// An array of `T`, or a single `T` read as an array of one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a single object")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| OneOrMany(vec![t]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `deserialize_with` for a required one-or-many field.
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a one-or-many field"
)]
pub(crate) fn one_or_many<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    <OneOrMany<T> as serde::Deserialize>::deserialize(d).map(|m| m.0)
}

/// `deserialize_with` for an optional one-or-many field.
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a one-or-many field"
)]
pub(crate) fn one_or_many_opt<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    one_or_many(d).map(Some)
}

/// `deserialize_with` for an optional string that may come as a number (`12` for `"12"`).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(
        <Option<Scalar> as serde::Deserialize>::deserialize(d)?.map(|s| match s {
            Scalar::Int(v) => v.to_string(),
            Scalar::Str(s) => s,
        }),
    )
}

/// `deserialize_with` for an optional integer that may come as a decimal string (`"12"` for `12`).
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match <Option<Scalar> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(Scalar::Int(v)) => Ok(Some(v)),
        Some(Scalar::Str(s)) => s.trim().parse().map(Some).map_err(|_| {
            de::Error::invalid_value(de::Unexpected::Str(&s), &"an integer or a decimal string")
        }),
    }
}

/// `deserialize_with` for a required integer, which may come as a number with a zero fraction
/// (`1700000000000.0`), as JSON Schema's `integer` admits; any other fraction is an error.
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a required integer"
)]
pub(crate) fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer (a zero fraction is allowed)")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            // -2^63 is exact as an f64; 2^63 is the first value past i64::MAX.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "v is integral and inside the i64 range, checked above"
                )]
                Ok(v as i64)
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(V)
}

/// `deserialize_with` for an optional integer; see [`integer`].
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has an optional integer"
)]
pub(crate) fn integer_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null or an integer (a zero fraction is allowed)")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            integer(d).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// One integer of a list, read as [`integer`] reads it.
struct ListedInteger(i64);

impl<'de> serde::Deserialize<'de> for ListedInteger {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        integer(d).map(ListedInteger)
    }
}

/// `deserialize_with` for a required list of integers, each of which may come as a number with a
/// zero fraction (`[1.0, 2]`); see [`integer`].
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a required list of integers"
)]
pub(crate) fn integers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    let items = <Vec<ListedInteger> as serde::Deserialize>::deserialize(d)?;
    Ok(items.into_iter().map(|ListedInteger(v)| v).collect())
}

/// `deserialize_with` for an optional list of integers; see [`integers`].
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has an optional list of integers"
)]
pub(crate) fn integers_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    let items = <Option<Vec<ListedInteger>> as serde::Deserialize>::deserialize(d)?;
    Ok(items.map(|items| items.into_iter().map(|ListedInteger(v)| v).collect()))
}

/// `deserialize_with` for a required `format: int32` integer; see [`integer`].
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a required int32"
)]
pub(crate) fn int32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let v = integer(d)?;
    i32::try_from(v)
        .map_err(|_| de::Error::invalid_value(de::Unexpected::Signed(v), &"a 32-bit integer"))
}

/// `deserialize_with` for an optional `format: int32` integer; see [`integer`].
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has an optional int32"
)]
pub(crate) fn int32_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    integer_opt(d)?
        .map(|v| {
            i32::try_from(v).map_err(|_| {
                de::Error::invalid_value(de::Unexpected::Signed(v), &"a 32-bit integer")
            })
        })
        .transpose()
}

/// `deserialize_with` for a required boolean that may come as the string `"true"` or `"false"`.
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a required flexible boolean"
)]
pub(crate) fn flexible_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, or the string \"true\" or \"false\"")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

/// `deserialize_with` for an optional boolean that may come as the string `"true"` or `"false"`.
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has an optional flexible boolean"
)]
pub(crate) fn flexible_bool_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null, a boolean, or the string \"true\" or \"false\"")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            flexible_bool(d).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// The member `key` of a JSON object as a string, numbers written out.
pub(crate) fn field_string(value: &serde_json::Value, key: &str) -> Option<String> {
    match value.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The member `key` of a JSON object as an integer, decimal strings parsed.
pub(crate) fn field_i64(value: &serde_json::Value, key: &str) -> Option<i64> {
    match value.get(key)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// A type as the generator writes it for a required and an optional list of integers (the
    /// `Scores` schema of the `integer-enums` fixture spec; see its snapshot).
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Scores {
        #[serde(deserialize_with = "super::integers")]
        points: Vec<i64>,
        #[serde(default, deserialize_with = "super::integers_opt")]
        ranks: Option<Vec<i64>>,
    }

    #[track_caller]
    fn check(json: serde_json::Value, expected: Result<(Vec<i64>, Option<Vec<i64>>), &str>) {
        let got = serde_json::from_value::<Scores>(json.clone())
            .map(|s| (s.points, s.ranks))
            .map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{json}"),
            (Err(err), Err(part)) => assert!(err.contains(part), "{json}: {err}"),
            (got, expected) => panic!("{json}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn lists_of_integers_take_a_zero_fraction_and_refuse_others() {
        check(json!({"points": [1, 2.0]}), Ok((vec![1, 2], None)));
        check(
            json!({"points": [], "ranks": [1_700_000_000_000.0, -3]}),
            Ok((vec![], Some(vec![1_700_000_000_000, -3]))),
        );
        check(json!({"points": [0], "ranks": null}), Ok((vec![0], None)));
        check(json!({"points": [1.5]}), Err("1.5"));
        check(json!({"points": [1], "ranks": [2, 0.25]}), Err("0.25"));
        check(json!({"points": ["1"]}), Err("an integer"));
        // What the generator wrote before (a plain Vec<i64>) refused the zero fraction.
        assert!(serde_json::from_value::<Vec<i64>>(json!([2.0])).is_err());
    }

    use super::{Call, OperationInfo};

    /// What a generated method with a header parameter and an array query parameter
    /// (`style: form, explode: true`) assembles; see `tests/fixtures/specs/parameters.yaml`.
    const LIST_ITEMS: OperationInfo = OperationInfo {
        id: "listItems",
        method: "GET",
        path: "/items",
        tag: "items",
        idempotent: true,
        has_body: false,
    };

    fn client(base: &str) -> crate::Client {
        crate::Client::builder("970ca35de60c44645bbae8a215061b33")
            .region(crate::types::Region::China)
            .credentials(
                crate::Credentials::app_certificate("5cfd2fd1755d40ecb72977518be15d3b").unwrap(),
            )
            .base_url(base)
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn header_parameters_and_repeated_query_pairs_arrive() {
        use wiremock::matchers::{header, method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(header("x-request-id", "req-42"))
            .and(|r: &wiremock::Request| r.url.query() == Some("id=a&id=b%26c&level=3"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"code":0,"msg":"Success","ts":1}"#, "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&server.uri());
        let ids = ["a".to_owned(), "b&c".to_owned()];
        crate::Request::new(&client, crate::request::decode_unit, || {
            let mut call = Call::new(&LIST_ITEMS, "/items".to_owned());
            for v in &ids {
                call.query.push(("id", v.to_string()));
            }
            call.query.push(("level", 3.to_string()));
            call.header("X-Request-Id", "req-42")?;
            Ok(call)
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_header_value_with_a_line_break_is_invalid_input_and_nothing_is_sent() {
        let server = wiremock::MockServer::start().await;
        let client = client(&server.uri());
        let err = crate::Request::new(&client, crate::request::decode_unit, || {
            let mut call = Call::new(&LIST_ITEMS, "/items".to_owned());
            call.header("X-Request-Id", "a\r\nInjected: yes")?;
            Ok(call)
        })
        .await
        .unwrap_err();
        match err {
            crate::Error::InvalidInput {
                operation, field, ..
            } => assert_eq!((operation, field.as_str()), ("listItems", "X-Request-Id")),
            other => panic!("{other:?}"),
        }
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[derive(Debug, serde::Deserialize)]
    struct Sized32 {
        #[serde(deserialize_with = "super::int32")]
        required: i32,
        #[serde(default, deserialize_with = "super::int32_opt")]
        optional: Option<i32>,
    }

    #[test]
    fn int32_reads_an_integral_number_in_range_and_refuses_the_rest() {
        let ok: Sized32 = serde_json::from_str(r#"{"required": 5.0, "optional": -7}"#).unwrap();
        assert_eq!((ok.required, ok.optional), (5, Some(-7)));
        let null: Sized32 = serde_json::from_str(r#"{"required": 1, "optional": null}"#).unwrap();
        assert_eq!(null.optional, None);
        for bad in [
            r#"{"required": 2147483648}"#,
            r#"{"required": 1, "optional": -2147483649}"#,
            r#"{"required": 1.5}"#,
        ] {
            let err = serde_json::from_str::<Sized32>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("integer"), "{bad}: {err}");
        }
    }
}

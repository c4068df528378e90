//! Checks every vector of `tests/fixtures/agora-token-vectors.json` (taken
//! from the vendor's own test suites): what the builders produce, byte for
//! byte before compression, and that the vendor's token strings parse and
//! verify.
//!
//! The zlib bytes are not compared: `flate2`'s default backend does not
//! reproduce C zlib's stream (see the `token` module docs), so 007 tokens are
//! compared by their decompressed content. 006 tokens are not compressed and
//! are compared as strings.

use std::collections::BTreeMap;

use classroom_api::token::{
    AccessToken2, AppCertificate, AppId, EducationTokenBuilder, LegacyAccessToken, LegacyParams,
    LegacyRtmTokenBuilder, ParsedToken, RtmTokenBuilder, Service, Token, TokenError, TokenParams,
    TokenVersion, parse, privilege, service_type,
};
use classroom_api::types::UserRole;
use serde_json::Value;

#[path = "../examples/mint_token.rs"]
#[allow(dead_code)]
mod mint_token;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/agora-token-vectors.json"
));

fn vectors() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
    doc["vectors"].as_array().expect("`vectors` array").clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares `actual` bytes with the vector's `expected_hex`, naming the
/// vector and the field, and pointing at the caller on failure.
#[track_caller]
fn check(vector: &str, what: &str, actual: impl AsRef<[u8]>, expected_hex: &str) {
    assert_eq!(
        hex(actual.as_ref()),
        expected_hex.to_ascii_lowercase(),
        "vector {vector}: {what} differs"
    );
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("string field {key} in {v}"))
}

fn n<T: TryFrom<i64>>(v: &Value, key: &str) -> T {
    let x = v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("integer field {key} in {v}"));
    T::try_from(x).unwrap_or_else(|_| panic!("{key} = {x} out of range"))
}

fn privileges(v: &Value) -> BTreeMap<u16, u32> {
    v["privileges"]
        .as_object()
        .expect("privileges object")
        .iter()
        .map(|(k, x)| {
            (
                k.parse().expect("privilege key"),
                u32::try_from(x.as_u64().expect("privilege value")).expect("u32"),
            )
        })
        .collect()
}

/// The vector's services, as this crate models them.
fn services(inputs: &Value) -> Vec<Service> {
    inputs["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|sv| match n::<u16>(sv, "type") {
            service_type::RTM => Service::Rtm {
                privileges: privileges(sv),
                user_id: s(sv, "user_id").to_owned(),
            },
            service_type::CHAT => Service::Chat {
                privileges: privileges(sv),
                user_id: s(sv, "user_id").to_owned(),
            },
            service_type::APAAS => Service::Apaas {
                privileges: privileges(sv),
                room_uuid: s(sv, "room_uuid").to_owned(),
                user_uuid: s(sv, "user_uuid").to_owned(),
                role: n(sv, "role_int16"),
            },
            other => panic!("no model for service type {other} in the test"),
        })
        .collect()
}

/// Builds the vector's token with the crate's scope builder that the vendor
/// builder named by the vector corresponds to.
fn build_with_scope_builder(id: &str, inputs: &Value, svcs: &[Service]) -> Token {
    let app_id = AppId::new(s(inputs, "app_id")).unwrap();
    let cert = AppCertificate::new(s(inputs, "app_certificate")).unwrap();
    let params = TokenParams {
        issue_ts: n(inputs, "issue_ts"),
        salt: n(inputs, "salt"),
        expire: n(inputs, "expire"),
    };
    let edu = EducationTokenBuilder::new(app_id.clone(), cert.clone());
    let key = |p: &BTreeMap<u16, u32>| p.keys().copied().collect::<Vec<_>>();
    match svcs {
        [
            Service::Rtm {
                privileges,
                user_id,
            },
        ] if key(privileges) == [privilege::RTM_LOGIN] => RtmTokenBuilder::new(app_id, cert)
            .build_with(user_id, params)
            .unwrap(),
        [Service::Apaas { privileges, .. }] if key(privileges) == [privilege::APAAS_APP] => {
            edu.app_token_with(params).unwrap()
        }
        [
            Service::Apaas {
                privileges,
                user_uuid,
                ..
            },
        ] if key(privileges) == [privilege::APAAS_USER] => {
            edu.user_token_with(user_uuid, params).unwrap()
        }
        [
            Service::Rtm { .. },
            Service::Chat { .. },
            Service::Apaas {
                room_uuid,
                user_uuid,
                role,
                ..
            },
        ] => edu
            .room_user_token_with(
                room_uuid,
                user_uuid,
                UserRole::from_value(i64::from(*role)),
                params,
            )
            .unwrap(),
        other => panic!("vector {id}: no scope builder for services {other:?}"),
    }
}

fn check_007(v: &Value) {
    let id = s(v, "id");
    let inputs = &v["inputs"];
    let app_id = AppId::new(s(inputs, "app_id")).unwrap();
    let cert = AppCertificate::new(s(inputs, "app_certificate")).unwrap();
    let issue_ts: u32 = n(inputs, "issue_ts");
    let salt: u32 = n(inputs, "salt");
    let expire: u32 = n(inputs, "expire");
    let payload = s(v, "decompressed_payload_hex");
    let svcs = services(inputs);

    check(
        id,
        "signing key",
        AccessToken2::signing_key(&cert, issue_ts, salt),
        s(v, "signing_key_hex"),
    );

    // What this crate builds: through the scope builder and the generic one.
    let params = TokenParams {
        issue_ts,
        salt,
        expire,
    };
    let generic = AccessToken2::build(&app_id, &cert, params, &svcs).unwrap();
    let scoped = build_with_scope_builder(id, inputs, &svcs);
    for (how, token) in [("generic build", &generic), ("scope builder", &scoped)] {
        assert_eq!(token.version(), TokenVersion::V007, "vector {id}");
        assert_eq!(
            token.expires_at(),
            u64::from(issue_ts) + u64::from(expire),
            "vector {id}"
        );
        let built = AccessToken2::parse(token.as_str()).unwrap();
        check(id, &format!("{how}: payload"), built.content(), payload);
        check(
            id,
            &format!("{how}: signature"),
            built.signature(),
            s(v, "signature_hex"),
        );
        check(
            id,
            &format!("{how}: signing info"),
            built.signing_info(),
            s(v, "signing_info_hex"),
        );
        built.validate(&app_id, &cert, u64::from(issue_ts)).unwrap();
    }
    assert_eq!(generic, scoped, "vector {id}: builders disagree");

    // The vendor's strings: the C zlib one and every alternate encoding.
    let mut strings = vec![s(v, "expected_token").to_owned()];
    if let Some(alts) = v["alternate_encodings_same_payload"].as_array() {
        strings.extend(alts.iter().map(|a| s(a, "token").to_owned()));
    }
    for expected in &strings {
        let parsed = AccessToken2::parse(expected).unwrap();
        check(id, "vendor token payload", parsed.content(), payload);
        check(
            id,
            "vendor token signature",
            parsed.signature(),
            s(v, "signature_hex"),
        );
        assert_eq!(parsed.app_id(), app_id.as_str(), "vector {id}");
        assert_eq!(parsed.issue_ts(), issue_ts, "vector {id}");
        assert_eq!(parsed.expire(), expire, "vector {id}");
        assert_eq!(parsed.salt(), salt, "vector {id}");
        assert_eq!(parsed.services(), svcs.as_slice(), "vector {id}");
        parsed.verify(&cert).unwrap();
        parsed
            .validate(&app_id, &cert, u64::from(issue_ts))
            .unwrap();
        assert!(matches!(
            parsed.validate(&app_id, &cert, parsed.expires_at()),
            Err(TokenError::Expired { .. })
        ));
        let other = AppCertificate::new("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(parsed.verify(&other), Err(TokenError::BadSignature));
        assert!(matches!(parse(expected), Ok(ParsedToken::AccessToken2(_))));
    }
}

fn check_006(v: &Value) {
    let id = s(v, "id");
    let inputs = &v["inputs"];
    let app_id = AppId::new(s(inputs, "app_id")).unwrap();
    let cert = AppCertificate::new(s(inputs, "app_certificate")).unwrap();
    let user = s(inputs, "channel_name");
    assert_eq!(
        s(inputs, "uid"),
        "",
        "vector {id}: RTM tokens have an empty uid"
    );
    let privs = privileges(inputs);
    let expected = s(v, "expected_token");
    let expire_ts = privs[&privilege::LEGACY_RTM_LOGIN];
    let ts: u32 = n(inputs, "ts");
    let salt: u32 = n(inputs, "salt");

    let token = LegacyRtmTokenBuilder::new(app_id.clone(), cert.clone())
        .build_with(
            user,
            LegacyParams {
                ts,
                salt,
                privilege_expire_ts: expire_ts,
            },
        )
        .unwrap();
    assert_eq!(
        token.as_str(),
        expected,
        "vector {id}: token string differs"
    );
    assert_eq!(token.expires_at(), u64::from(expire_ts));
    assert_eq!(token.version(), TokenVersion::V006);

    let parsed = LegacyAccessToken::parse(expected).unwrap();
    assert_eq!(parsed.app_id(), app_id.as_str());
    assert_eq!(parsed.ts(), ts);
    assert_eq!(parsed.salt(), salt);
    assert_eq!(parsed.privileges(), &privs);
    assert_eq!(parsed.crc_uid(), 0);
    assert_eq!(parsed.crc_channel_name(), crc32fast::hash(user.as_bytes()));
    assert_eq!(parsed.expires_at(), Some(u64::from(expire_ts)));
    parsed.verify_rtm(&cert, user).unwrap();
    parsed
        .validate_rtm(&app_id, &cert, user, u64::from(expire_ts) - 1)
        .unwrap();
    assert!(matches!(
        parsed.validate_rtm(&app_id, &cert, user, u64::from(expire_ts)),
        Err(TokenError::Expired { .. })
    ));
    assert_eq!(
        parsed.verify_rtm(&cert, "someone_else"),
        Err(TokenError::WrongAccount {
            part: "channel name"
        })
    );
    let other = AppCertificate::new("0123456789abcdef0123456789abcdef").unwrap();
    assert_eq!(
        parsed.verify_rtm(&other, user),
        Err(TokenError::BadSignature)
    );
    assert!(matches!(parse(expected), Ok(ParsedToken::Legacy(_))));
}

#[test]
fn every_vector_matches_the_vendor() {
    let all = vectors();
    let (mut n007, mut n006) = (0, 0);
    for v in &all {
        match s(v, "version") {
            "007" => {
                check_007(v);
                n007 += 1;
            }
            "006" => {
                check_006(v);
                n006 += 1;
            }
            other => panic!("vector {}: unknown version {other}", s(v, "id")),
        }
    }
    assert_eq!(n007 + n006, all.len());
    assert!(
        n007 >= 2 && n006 >= 1,
        "expected both formats in the vectors"
    );
}

#[test]
fn vendor_layout_notes_match_the_module() {
    // The fixture documents the layouts; keep the few constants it states in
    // sync with the crate's.
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    let l7 = doc["layout_007"].as_str().unwrap();
    let l6 = doc["layout_006"].as_str().unwrap();
    assert!(l7.contains("RTM type 2"));
    assert_eq!(service_type::RTM, 2);
    assert!(l6.contains("kRtmLogin=1000"));
    assert_eq!(privilege::LEGACY_RTM_LOGIN, 1000);
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn mint_token_example_reproduces_the_vectors() {
    for v in vectors() {
        let id = s(&v, "id");
        let inputs = &v["inputs"];
        let mut a = vec!["--app-id", s(inputs, "app_id")];
        a.extend(["--certificate", s(inputs, "app_certificate")]);
        match s(&v, "version") {
            "006" => {
                let ts: u32 = n(inputs, "ts");
                let expire = privileges(inputs)[&privilege::LEGACY_RTM_LOGIN] - ts;
                let (ts, salt, expire) = (
                    ts.to_string(),
                    n::<u32>(inputs, "salt").to_string(),
                    expire.to_string(),
                );
                let mut full = vec!["rtm-legacy", "--user", s(inputs, "channel_name")];
                full.extend(a.iter().copied());
                full.extend(["--issue-ts", &ts, "--salt", &salt, "--expire", &expire]);
                let token = mint_token::run(&args(&full)).unwrap();
                assert_eq!(token, s(&v, "expected_token"), "vector {id}");
            }
            _ => {
                let svcs = services(inputs);
                let (ts, salt, expire) = (
                    n::<u32>(inputs, "issue_ts").to_string(),
                    n::<u32>(inputs, "salt").to_string(),
                    n::<u32>(inputs, "expire").to_string(),
                );
                let mut full: Vec<&str> = match svcs.as_slice() {
                    [Service::Rtm { user_id, .. }] => vec!["rtm", "--user", user_id],
                    [Service::Apaas { privileges, .. }]
                        if privileges.contains_key(&privilege::APAAS_APP) =>
                    {
                        vec!["app"]
                    }
                    other => panic!("vector {id}: no scope for {other:?}"),
                };
                full.extend(a.iter().copied());
                full.extend(["--issue-ts", &ts, "--salt", &salt, "--expire", &expire]);
                let token = mint_token::run(&args(&full)).unwrap();
                let minted = AccessToken2::parse(&token).unwrap();
                check(
                    id,
                    "example payload",
                    minted.content(),
                    s(&v, "decompressed_payload_hex"),
                );
            }
        }
    }
}

#[test]
fn mint_token_example_refuses_bad_arguments() {
    let base = [
        "--app-id",
        "970CA35de60c44645bbae8a215061b33",
        "--certificate",
        "5CFd2fd1755d40ecb72977518be15d3b",
    ];
    let run = |extra: &[&str]| {
        let mut full: Vec<&str> = extra.to_vec();
        full.extend(base);
        mint_token::run(&args(&full))
    };
    assert!(run(&[]).unwrap_err().contains("scope"));
    assert!(run(&["bogus"]).unwrap_err().contains("unknown scope"));
    assert!(run(&["user"]).unwrap_err().contains("--user"));
    assert!(
        run(&["app", "--user", "u"])
            .unwrap_err()
            .contains("takes no --user")
    );
    assert!(
        run(&["room-user", "--user", "u", "--room", "r"])
            .unwrap_err()
            .contains("--role")
    );
    assert!(
        run(&["app", "--expire", "soon"])
            .unwrap_err()
            .contains("--expire")
    );
    assert!(
        run(&["app", "--salt"])
            .unwrap_err()
            .contains("needs a value")
    );
    assert!(
        run(&["app", "--frobnicate", "1"])
            .unwrap_err()
            .contains("unknown argument")
    );
    assert!(
        run(&["rtm", "--user", &"u".repeat(65)])
            .unwrap_err()
            .contains("64")
    );
    assert!(
        mint_token::run(&args(&["app", "--app-id", "xyz", "--certificate", "c"]))
            .unwrap_err()
            .contains("app id")
    );
    // Flags in `--flag=value` form, and the room-user scope.
    let t = run(&[
        "room-user",
        "--user=2882341273",
        "--room=123",
        "--role=1",
        "--issue-ts=1111111",
        "--salt=1",
        "--expire=600",
    ])
    .unwrap();
    let parsed = AccessToken2::parse(&t).unwrap();
    assert_eq!(parsed.services().len(), 3);
    assert_eq!(parsed.expires_at(), 1111711);
    // A role by name is the same token; a name without an integer is refused.
    let by_name = run(&[
        "room-user",
        "--user=2882341273",
        "--room=123",
        "--role=teacher",
        "--issue-ts=1111111",
        "--salt=1",
        "--expire=600",
    ])
    .unwrap();
    assert_eq!(by_name, t);
    assert!(
        run(&["room-user", "--user=u", "--room=r", "--role=server"])
            .unwrap_err()
            .contains("the role server cannot be packed")
    );
}

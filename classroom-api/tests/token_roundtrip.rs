//! Build → parse → verify for every scope, property tests over random inputs,
//! and the ways a token or an input is refused.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use classroom_api::token::{
    AccessToken2, AppCertificate, AppId, EducationTokenBuilder, HexIdError, ID_PUNCTUATION,
    IdError, LegacyAccessToken, LegacyParams, LegacyRtmTokenBuilder, MAX_ID_LEN, Malformed,
    ParsedToken, RtmTokenBuilder, SALT_MAX, SALT_MIN, Service, TokenError, TokenParams,
    TokenVersion, parse, privilege, service_type, unix_now,
};
use classroom_api::types::UserRole;
use proptest::prelude::*;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const OTHER_CERT: &str = "0123456789abcdef0123456789ABCDEF";

fn app_id() -> AppId {
    AppId::new(APP_ID).unwrap()
}
fn cert() -> AppCertificate {
    AppCertificate::new(CERT).unwrap()
}
fn edu() -> EducationTokenBuilder {
    EducationTokenBuilder::new(app_id(), cert())
}
fn rtm() -> RtmTokenBuilder {
    RtmTokenBuilder::new(app_id(), cert())
}
fn legacy() -> LegacyRtmTokenBuilder {
    LegacyRtmTokenBuilder::new(app_id(), cert())
}
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const P: TokenParams = TokenParams {
    issue_ts: 1_111_111,
    salt: 1,
    expire: 600,
};

fn one(p: u16, v: u32) -> BTreeMap<u16, u32> {
    BTreeMap::from([(p, v)])
}

/// Parses a 007 token and checks it against app id, certificate and time.
fn roundtrip(token: &str, params: TokenParams) -> AccessToken2 {
    let t = AccessToken2::parse(token).unwrap();
    t.validate(&app_id(), &cert(), u64::from(params.issue_ts))
        .unwrap();
    assert_eq!(t.issue_ts(), params.issue_ts);
    assert_eq!(t.salt(), params.salt);
    assert_eq!(t.expire(), params.expire);
    assert_eq!(t.expires_at(), params.expires_at());
    assert_eq!(
        t.verify(&AppCertificate::new(OTHER_CERT).unwrap()),
        Err(TokenError::BadSignature)
    );
    t
}

#[test]
fn app_token_roundtrip() {
    let token = edu().app_token_with(P).unwrap();
    assert_eq!(token.expires_at(), 1_111_711);
    let t = roundtrip(token.as_str(), P);
    assert_eq!(
        t.services(),
        [Service::Apaas {
            privileges: one(privilege::APAAS_APP, 600),
            room_uuid: String::new(),
            user_uuid: String::new(),
            role: -1,
        }]
    );
}

#[test]
fn user_token_roundtrip() {
    let token = edu().user_token_with("2882341273", P).unwrap();
    let t = roundtrip(token.as_str(), P);
    assert_eq!(
        t.services(),
        [Service::Apaas {
            privileges: one(privilege::APAAS_USER, 600),
            room_uuid: String::new(),
            user_uuid: "2882341273".into(),
            role: -1,
        }]
    );
    // Pinned content, from an independent transcription of the vendor's
    // python3 `AccessToken2.build` + `ApaasTokenBuilder.build_user_token`.
    assert_eq!(
        hex(t.content()),
        "200060cdcd489bf0121f90f0a2a28636db746bcc173686c59519a52c9d14c331a976\
         2000393730434133356465363063343436343562626165386132313530363162333347\
         f41000580200000100000001000700010002005802000000000a0032383832333431323733ffff"
    );
}

#[test]
fn room_user_token_carries_rtm_chat_and_apaas_in_type_order() {
    let token = edu()
        .room_user_token_with("123", "2882341273", UserRole::Teacher, P)
        .unwrap();
    let t = roundtrip(token.as_str(), P);
    assert_eq!(
        t.services(),
        [
            Service::Rtm {
                privileges: one(privilege::RTM_LOGIN, 600),
                user_id: "2882341273".into(),
            },
            Service::Chat {
                privileges: one(privilege::CHAT_USER, 600),
                user_id: "6063383428a36fba3fb6030becf8094e".into(),
            },
            Service::Apaas {
                privileges: one(privilege::APAAS_ROOM_USER, 600),
                room_uuid: "123".into(),
                user_uuid: "2882341273".into(),
                role: 1,
            },
        ]
    );
    // Pinned content, from an independent transcription of the vendor's
    // python3 `AccessToken2.build` (services sorted by type) +
    // `ApaasTokenBuilder.build_room_user_token`.
    assert_eq!(
        hex(t.content()),
        "20008adbd4001ee51076d4545f7aecd85c814d5142bbe25a08b84382fb8f6aa3c3b5\
         2000393730434133356465363063343436343562626165386132313530363162333347\
         f4100058020000010000000300020001000100580200000a003238383233343132373305\
         0001000100580200002000363036333338333432386133366662613366623630333062\
         65636638303934650700010001005802000003003132330a00323838323334313237330100"
    );
}

#[test]
fn chat_user_id_is_lowercase_hex_md5() {
    assert_eq!(
        EducationTokenBuilder::chat_user_id(""),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    assert_eq!(
        EducationTokenBuilder::chat_user_id("2882341273"),
        "6063383428a36fba3fb6030becf8094e"
    );
}

#[test]
fn rtm_token_roundtrip() {
    let token = rtm().build_with("test_user", P).unwrap();
    let t = roundtrip(token.as_str(), P);
    assert_eq!(t.services(), [Service::rtm_login("test_user", 600)]);
}

#[test]
fn legacy_rtm_token_roundtrip() {
    let params = LegacyParams::try_from(P).unwrap();
    assert_eq!(
        params,
        LegacyParams {
            ts: 1_111_111,
            salt: 1,
            privilege_expire_ts: 1_111_711
        }
    );
    let token = legacy().build_with("test_user", params).unwrap();
    assert_eq!(token.version(), TokenVersion::V006);
    assert!(token.as_str().starts_with(&format!("006{APP_ID}")));
    assert_eq!(token.expires_at(), 1_111_711);
    let t = LegacyAccessToken::parse(token.as_str()).unwrap();
    t.validate_rtm(&app_id(), &cert(), "test_user", 1_111_710)
        .unwrap();
    assert_eq!(t.ts(), 1_111_111);
    assert_eq!(t.salt(), 1);
    assert_eq!(t.privileges(), &one(privilege::LEGACY_RTM_LOGIN, 1_111_711));
    assert_eq!(
        t.validate_rtm(&app_id(), &cert(), "test_user", 1_111_711),
        Err(TokenError::Expired {
            expires_at: 1_111_711,
            now: 1_111_711
        })
    );
}

#[test]
fn default_params_are_now_and_a_vendor_range_salt() {
    let before = unix_now();
    let token = edu().app_token(3600).unwrap();
    let after = unix_now();
    let t = AccessToken2::parse(token.as_str()).unwrap();
    assert!((before..=after).contains(&u64::from(t.issue_ts())));
    assert!((SALT_MIN..=SALT_MAX).contains(&t.salt()));
    assert_eq!(token.expires_at(), u64::from(t.issue_ts()) + 3600);
    assert!(!token.is_expired_at(after));
    assert!(token.is_expired_at(token.expires_at()));
    t.validate(&app_id(), &cert(), after).unwrap();

    for token in [
        edu().user_token("u1", 60).unwrap(),
        edu()
            .room_user_token("r1", "u1", UserRole::Student, 60)
            .unwrap(),
        rtm().build("u1", 60).unwrap(),
    ] {
        AccessToken2::parse(token.as_str())
            .unwrap()
            .validate(&app_id(), &cert(), after)
            .unwrap();
    }

    // 006: the vendor's ts is now + 24 h; the expiry is the privilege's.
    let token = legacy().build("u1", 60).unwrap();
    let t = LegacyAccessToken::parse(token.as_str()).unwrap();
    let now = unix_now();
    assert!(u64::from(t.ts()) >= before + 86_400 && u64::from(t.ts()) <= now + 86_400);
    assert!(token.expires_at() >= before + 60 && token.expires_at() <= now + 60);
    t.validate_rtm(&app_id(), &cert(), "u1", now).unwrap();
}

#[test]
fn generic_build_keeps_unknown_services_and_still_verifies() {
    let services = [
        Service::Unknown {
            service_type: 42,
            data: vec![1, 2, 3, 4, 5],
        },
        Service::rtm_login("u", 600),
    ];
    let token = AccessToken2::build(&app_id(), &cert(), P, &services).unwrap();
    let t = roundtrip(token.as_str(), P);
    // Packed in type order: RTM first, then the unknown service, whose bytes
    // run to the end.
    assert_eq!(t.services(), [services[1].clone(), services[0].clone()]);
    assert_eq!(t.services()[1].service_type(), 42);
    assert_eq!(t.services()[1].privileges(), None);

    assert_eq!(
        AccessToken2::build(&app_id(), &cert(), P, &[]),
        Err(TokenError::NoServices)
    );
    let huge = Service::rtm_login(&"x".repeat(70_000), 1);
    assert_eq!(
        AccessToken2::build(&app_id(), &cert(), P, &[huge]),
        Err(TokenError::TooLarge { part: "user id" })
    );
}

#[test]
fn parse_dispatches_on_version() {
    let t7 = rtm().build_with("u", P).unwrap();
    let t6 = legacy()
        .build_with("u", LegacyParams::try_from(P).unwrap())
        .unwrap();
    let p7 = parse(t7.as_str()).unwrap();
    let p6 = parse(t6.as_str()).unwrap();
    assert!(matches!(p7, ParsedToken::AccessToken2(_)));
    assert!(matches!(p6, ParsedToken::Legacy(_)));
    assert_eq!(p7.version(), TokenVersion::V007);
    assert_eq!(p6.version(), TokenVersion::V006);
    assert_eq!(p7.app_id(), APP_ID);
    assert_eq!(p6.app_id(), APP_ID);
    assert_eq!(p7.expires_at(), Some(1_111_711));
    assert_eq!(p6.expires_at(), Some(1_111_711));
}

// ---- Refusals -------------------------------------------------------------

#[test]
fn bad_app_id_and_certificate_are_refused() {
    assert_eq!(
        AppId::new("970CA35de60c44645bbae8a215061b3g"),
        Err(TokenError::InvalidAppId(HexIdError::NotHex { index: 31 }))
    );
    assert_eq!(
        AppId::new("970CA35de60c"),
        Err(TokenError::InvalidAppId(HexIdError::Length { len: 12 }))
    );
    assert!(matches!(
        AppCertificate::new("5CFd2fd1755d40ecb72977518be15d3"),
        Err(TokenError::InvalidCertificate(HexIdError::Length {
            len: 31
        }))
    ));
    assert!(matches!(
        AppCertificate::new("5CFd2fd1755d40ecb72977518be15d3bé"),
        Err(TokenError::InvalidCertificate(HexIdError::Length { .. }))
    ));
    assert!(matches!(
        AppCertificate::new("5CFd2fd1755d40ecb72977518be15d-b"),
        Err(TokenError::InvalidCertificate(HexIdError::NotHex {
            index: 30
        }))
    ));
    let msg = AppId::new("nothex").unwrap_err().to_string();
    assert!(msg.contains("app id") && msg.contains("32"), "{msg}");
}

#[test]
fn bad_ids_are_refused() {
    let long = "u".repeat(MAX_ID_LEN + 1);
    let ok = "u".repeat(MAX_ID_LEN);
    let too_long = TokenError::InvalidId {
        field: "user id",
        reason: IdError::TooLong { len: 65, max: 64 },
    };
    assert_eq!(rtm().build_with(&long, P), Err(too_long.clone()));
    assert!(rtm().build_with(&ok, P).is_ok());
    assert_eq!(
        legacy().build_with(&long, LegacyParams::try_from(P).unwrap()),
        Err(too_long)
    );
    assert_eq!(
        edu().user_token_with(&long, P),
        Err(TokenError::InvalidId {
            field: "user uuid",
            reason: IdError::TooLong { len: 65, max: 64 },
        })
    );
    assert_eq!(
        edu().room_user_token_with(&long, "u", UserRole::Teacher, P),
        Err(TokenError::InvalidId {
            field: "room uuid",
            reason: IdError::TooLong { len: 65, max: 64 },
        })
    );
    // 33 two-byte characters: 66 bytes.
    assert!(matches!(
        rtm().build_with(&"é".repeat(33), P),
        Err(TokenError::InvalidId {
            reason: IdError::TooLong { len: 66, .. },
            ..
        })
    ));
    assert_eq!(
        rtm().build_with("", P),
        Err(TokenError::InvalidId {
            field: "user id",
            reason: IdError::Empty
        })
    );
    assert_eq!(
        edu().room_user_token_with("room/1", "u", UserRole::Teacher, P),
        Err(TokenError::InvalidId {
            field: "room uuid",
            reason: IdError::InvalidChar { ch: '/', index: 4 }
        })
    );
    assert!(matches!(
        rtm().build_with("naïve", P),
        Err(TokenError::InvalidId {
            reason: IdError::InvalidChar { ch: 'ï', index: 2 },
            ..
        })
    ));
    let msg = rtm()
        .build_with(&"u".repeat(65), P)
        .unwrap_err()
        .to_string();
    assert_eq!(msg, "invalid user id: 65 bytes long, at most 64 allowed");
}

#[test]
fn a_room_user_token_takes_the_crates_role_and_refuses_one_without_an_i16() {
    let role_in = |role: UserRole| match AccessToken2::parse(
        edu()
            .room_user_token_with("123", "u", role, P)
            .unwrap()
            .as_str(),
    )
    .unwrap()
    .services()
    {
        [.., Service::Apaas { role, .. }] => *role,
        other => panic!("no APaaS service last: {other:?}"),
    };
    assert_eq!(role_in(UserRole::Teacher), 1);
    assert_eq!(role_in(UserRole::Student), 2);
    assert_eq!(role_in(UserRole::Assistant), 3);
    assert_eq!(role_in(UserRole::from_value(-1)), -1);
    // The names the documents and the classroom clients use decode to the same roles.
    let decoded = |name: &str| serde_json::from_value::<UserRole>(serde_json::json!(name)).unwrap();
    assert_eq!(decoded("student"), UserRole::Student);
    assert_eq!(decoded("Teacher"), UserRole::Teacher);
    assert_eq!(decoded("assistant"), UserRole::Assistant);
    assert_eq!(decoded("audience"), UserRole::Student);
    assert_eq!(decoded("host"), UserRole::Teacher);
    assert_eq!(decoded("server"), UserRole::Other("server".into()));
    // A role the token cannot carry is an error, not a truncated integer.
    for role in [UserRole::Other("server".into()), UserRole::Unknown(40_000)] {
        let err = edu()
            .room_user_token_with("123", "u", role.clone(), P)
            .unwrap_err();
        assert_eq!(err, TokenError::InvalidRole(role.clone()));
        assert!(
            err.to_string().contains(&format!("the role {role} cannot")),
            "{err}"
        );
    }
}

#[test]
fn wrong_version_prefix_is_refused() {
    let t = rtm().build_with("u", P).unwrap();
    let as_006 = format!("006{}", &t.as_str()[3..]);
    let as_008 = format!("008{}", &t.as_str()[3..]);
    assert_eq!(
        AccessToken2::parse(&as_008),
        Err(TokenError::WrongVersion {
            found: "008".into(),
            expected: "007"
        })
    );
    assert!(matches!(
        AccessToken2::parse(&as_006),
        Err(TokenError::WrongVersion { .. })
    ));
    assert!(matches!(
        parse(&as_008),
        Err(TokenError::WrongVersion { .. })
    ));
    assert!(matches!(parse(""), Err(TokenError::WrongVersion { .. })));
    assert!(matches!(
        LegacyAccessToken::parse(t.as_str()),
        Err(TokenError::WrongVersion { .. })
    ));
    let msg = parse("abc").unwrap_err().to_string();
    assert!(msg.contains("abc") && msg.contains("007"), "{msg}");
}

#[test]
fn truncated_tokens_are_refused() {
    let t = edu()
        .room_user_token_with("123", "u", UserRole::Teacher, P)
        .unwrap();
    let s = t.as_str();
    // Cut inside the base64: bad padding.
    assert!(matches!(
        AccessToken2::parse(&s[..s.len() - 3]),
        Err(TokenError::Malformed(Malformed::Base64 { .. }))
    ));
    // Cut the zlib stream on a base64 boundary: the stream has no end.
    let raw = STANDARD.decode(&s[3..]).unwrap();
    let cut = format!("007{}", STANDARD.encode(&raw[..raw.len() - 6]));
    assert!(matches!(
        AccessToken2::parse(&cut),
        Err(TokenError::Malformed(Malformed::Zlib { .. }))
    ));
    // A complete zlib stream of truncated content: names the part.
    let content = AccessToken2::parse(s).unwrap().content().to_vec();
    for (len, part) in [
        (1, "signature"),
        (20, "signature"),
        (40, "app id"),
        (70, "issue time"),
        (78, "salt"),
        (81, "service count"),
        (content.len() - 1, "APaaS role"),
    ] {
        let token = format!("007{}", STANDARD.encode(zlib(&content[..len])));
        assert_eq!(
            AccessToken2::parse(&token),
            Err(TokenError::Malformed(Malformed::Truncated { part })),
            "cut at {len}"
        );
    }
    // 006: too short for an app id, then cut content.
    let l = legacy()
        .build_with("u", LegacyParams::try_from(P).unwrap())
        .unwrap();
    let l = l.as_str();
    assert_eq!(
        LegacyAccessToken::parse("006970CA35"),
        Err(TokenError::Malformed(Malformed::Truncated {
            part: "app id"
        }))
    );
    let raw = STANDARD.decode(&l[35..]).unwrap();
    let cut = format!("{}{}", &l[..35], STANDARD.encode(&raw[..raw.len() - 2]));
    assert!(matches!(
        LegacyAccessToken::parse(&cut),
        Err(TokenError::Malformed(Malformed::Truncated { .. }))
    ));
    assert!(matches!(
        LegacyAccessToken::parse(&l[..l.len() - 1]),
        Err(TokenError::Malformed(Malformed::Base64 { .. }))
    ));
    let msg = AccessToken2::parse("007AAAA").unwrap_err().to_string();
    assert!(msg.starts_with("malformed token"), "{msg}");
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn malformed_fields_are_refused() {
    // A signature that is not 32 bytes long.
    let token = format!("007{}", STANDARD.encode(zlib(&[2, 0, 1, 2, 0, 0])));
    assert_eq!(
        AccessToken2::parse(&token),
        Err(TokenError::Malformed(Malformed::SignatureLength { len: 2 }))
    );
    // An app id that is not UTF-8.
    let mut content = vec![32, 0];
    content.extend([0u8; 32]);
    content.extend([2, 0, 0xff, 0xfe]);
    let token = format!("007{}", STANDARD.encode(zlib(&content)));
    assert_eq!(
        AccessToken2::parse(&token),
        Err(TokenError::Malformed(Malformed::NotUtf8 { part: "app id" }))
    );
    // A decompression bomb.
    let token = format!("007{}", STANDARD.encode(zlib(&vec![0u8; 1 << 20])));
    assert!(matches!(
        AccessToken2::parse(&token),
        Err(TokenError::Malformed(Malformed::TooLarge { .. }))
    ));
    // Not zlib at all.
    let token = format!("007{}", STANDARD.encode(b"not zlib at all"));
    assert!(matches!(
        AccessToken2::parse(&token),
        Err(TokenError::Malformed(Malformed::Zlib { .. }))
    ));
    // A 006 app id that is not ASCII.
    let token = format!("006{}AAAA", "é".repeat(16));
    assert_eq!(
        LegacyAccessToken::parse(&token),
        Err(TokenError::Malformed(Malformed::AppId))
    );
}

#[test]
fn wrong_certificate_app_id_and_expiry_are_refused() {
    let token = edu().app_token_with(P).unwrap();
    let t = AccessToken2::parse(token.as_str()).unwrap();
    let other_cert = AppCertificate::new(OTHER_CERT).unwrap();
    let other_app = AppId::new("0123456789abcdef0123456789abcdef").unwrap();
    assert_eq!(t.verify(&other_cert), Err(TokenError::BadSignature));
    assert_eq!(
        t.validate(&app_id(), &other_cert, 1_111_111),
        Err(TokenError::BadSignature)
    );
    assert_eq!(
        t.validate(&other_app, &cert(), 1_111_111),
        Err(TokenError::WrongAppId {
            expected: "0123456789abcdef0123456789abcdef".into(),
            found: APP_ID.into(),
        })
    );
    // App ids compare without regard to case; certificates do not.
    let lower = AppId::new(&APP_ID.to_ascii_lowercase()).unwrap();
    t.validate(&lower, &cert(), 1_111_111).unwrap();
    let lower_cert = AppCertificate::new(&CERT.to_ascii_lowercase()).unwrap();
    assert_eq!(t.verify(&lower_cert), Err(TokenError::BadSignature));

    assert_eq!(
        t.validate(&app_id(), &cert(), 1_111_711),
        Err(TokenError::Expired {
            expires_at: 1_111_711,
            now: 1_111_711
        })
    );
    t.validate(&app_id(), &cert(), 1_111_710).unwrap();
    assert!(t.is_expired_at(1_111_711) && !t.is_expired_at(1_111_710));
    assert_eq!(
        AccessToken2::parse_and_validate(token.as_str(), &app_id(), &cert(), 2_000_000),
        Err(TokenError::Expired {
            expires_at: 1_111_711,
            now: 2_000_000
        })
    );
    let msg = TokenError::Expired {
        expires_at: 5,
        now: 6,
    }
    .to_string();
    assert_eq!(msg, "token expired at 5 (now 6)");
    assert!(TokenError::BadSignature.to_string().contains("certificate"));

    // A tampered signed field: the signature no longer matches.
    let mut content = t.content().to_vec();
    // The privilege value's low byte: before it come role (2), user (2) and
    // room (2) in the app token's tail.
    let at = content.len() - 10;
    content[at] ^= 1;
    let tampered = format!("007{}", STANDARD.encode(zlib(&content)));
    assert_eq!(
        AccessToken2::parse(&tampered).unwrap().verify(&cert()),
        Err(TokenError::BadSignature)
    );

    // 006: wrong certificate, wrong app id, wrong account.
    let l = legacy()
        .build_with("u", LegacyParams::try_from(P).unwrap())
        .unwrap();
    let l = LegacyAccessToken::parse(l.as_str()).unwrap();
    assert_eq!(
        l.verify_rtm(&other_cert, "u"),
        Err(TokenError::BadSignature)
    );
    assert!(matches!(
        l.validate_rtm(&other_app, &cert(), "u", 0),
        Err(TokenError::WrongAppId { .. })
    ));
    assert_eq!(
        l.verify(&cert(), "u", "7"),
        Err(TokenError::WrongAccount { part: "uid" })
    );
}

#[test]
fn expiry_overflow_is_refused_for_006() {
    let p = TokenParams {
        issue_ts: u32::MAX - 10,
        salt: 1,
        expire: 11,
    };
    assert_eq!(
        LegacyParams::try_from(p),
        Err(TokenError::ExpiryOverflow {
            ts: u32::MAX - 10,
            expire: 11
        })
    );
    // 007 expiries are u64 and cannot overflow.
    let t = edu().app_token_with(p).unwrap();
    assert_eq!(t.expires_at(), u64::from(u32::MAX) + 1);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let c = cert();
    assert_eq!(format!("{c:?}"), "AppCertificate(***)");
    assert_eq!(format!("{c:#?}"), "AppCertificate(***)");
    for dbg in [
        format!("{:?}", edu()),
        format!("{:#?}", rtm()),
        format!("{:?}", legacy()),
    ] {
        assert!(!dbg.contains(CERT), "{dbg}");
        assert!(dbg.contains("AppCertificate(***)"), "{dbg}");
    }
    let token = edu()
        .room_user_token_with("123", "u", UserRole::Teacher, P)
        .unwrap();
    let dbg = format!("{token:?}");
    assert!(!dbg.contains(token.as_str()), "{dbg}");
    assert!(dbg.contains(&token.as_str()[..12]), "{dbg}");
    assert_eq!(token.to_string(), token.as_str());
    let parsed = format!("{:?}", AccessToken2::parse(token.as_str()).unwrap());
    assert!(!parsed.contains(token.as_str()), "{parsed}");
    // Nor does the signing key derived from it.
    let key = AccessToken2::signing_key(&c, 1_700_000_000, 42);
    assert_eq!(format!("{key:?}"), "SigningKey(***)");
    let key_hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!format!("{key:#?}").contains(&key_hex[..8]));
    // Errors never carry the certificate either.
    let err = AppCertificate::new("5CFd2fd1755d40ecb72977518be15d3z").unwrap_err();
    assert!(!format!("{err:?} {err}").contains("5CFd2fd1755d40ecb72977518be15d3z"));
}

// ---- Properties -----------------------------------------------------------

fn id_strategy() -> impl Strategy<Value = String> {
    let mut chars: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    chars.extend(ID_PUNCTUATION.chars());
    proptest::collection::vec(proptest::sample::select(chars), 1..=MAX_ID_LEN)
        .prop_map(|v| v.into_iter().collect())
}

fn params_strategy() -> impl Strategy<Value = TokenParams> {
    (any::<u32>(), any::<u32>(), 1..=u32::MAX).prop_map(|(issue_ts, salt, expire)| TokenParams {
        issue_ts,
        salt,
        expire,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_scope_roundtrips(
        room in id_strategy(),
        user in id_strategy(),
        role in any::<i16>(),
        params in params_strategy(),
    ) {
        let now = u64::from(params.issue_ts);
        let e = params.expire;
        let cases = [
            (edu().app_token_with(params).unwrap(),
             vec![Service::apaas(privilege::APAAS_APP, "", "", -1, e)]),
            (edu().user_token_with(&user, params).unwrap(),
             vec![Service::apaas(privilege::APAAS_USER, "", &user, -1, e)]),
            (edu().room_user_token_with(&room, &user, UserRole::from_value(i64::from(role)), params).unwrap(),
             vec![
                 Service::rtm_login(&user, e),
                 Service::chat_user(&EducationTokenBuilder::chat_user_id(&user), e),
                 Service::apaas(privilege::APAAS_ROOM_USER, &room, &user, role, e),
             ]),
            (rtm().build_with(&user, params).unwrap(), vec![Service::rtm_login(&user, e)]),
        ];
        for (token, services) in cases {
            prop_assert_eq!(token.expires_at(), params.expires_at());
            let t = AccessToken2::parse(token.as_str()).unwrap();
            prop_assert_eq!(t.services(), services.as_slice());
            prop_assert_eq!(t.app_id(), APP_ID);
            prop_assert_eq!((t.issue_ts(), t.salt(), t.expire()),
                            (params.issue_ts, params.salt, params.expire));
            prop_assert_eq!(t.validate(&app_id(), &cert(), now), Ok(()));
            prop_assert_eq!(t.validate(&app_id(), &cert(), params.expires_at()),
                Err(TokenError::Expired { expires_at: params.expires_at(), now: params.expires_at() }));
            prop_assert_eq!(t.verify(&AppCertificate::new(OTHER_CERT).unwrap()),
                            Err(TokenError::BadSignature));
            // Rebuilding the parsed services gives the same signed content.
            let again = AccessToken2::build(&app_id(), &cert(), params, t.services()).unwrap();
            let again = AccessToken2::parse(again.as_str()).unwrap();
            prop_assert_eq!(again.content(), t.content());
            // Service-type order.
            let types: Vec<u16> = t.services().iter().map(Service::service_type).collect();
            prop_assert!(types.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn legacy_roundtrips(
        user in id_strategy(),
        ts in any::<u32>(),
        salt in any::<u32>(),
        expire in 1..=u32::MAX,
    ) {
        let p = TokenParams { issue_ts: ts, salt, expire };
        match LegacyParams::try_from(p) {
            Err(e) => prop_assert!(ts.checked_add(expire).is_none(), "{e}"),
            Ok(lp) => {
                let token = legacy().build_with(&user, lp).unwrap();
                let t = LegacyAccessToken::parse(token.as_str()).unwrap();
                prop_assert_eq!((t.ts(), t.salt()), (ts, salt));
                prop_assert_eq!(t.expires_at(), Some(u64::from(ts) + u64::from(expire)));
                prop_assert_eq!(t.validate_rtm(&app_id(), &cert(), &user, u64::from(ts)), Ok(()));
                prop_assert_eq!(t.verify_rtm(&AppCertificate::new(OTHER_CERT).unwrap(), &user),
                                Err(TokenError::BadSignature));
                let other = format!("{user}x");
                if crc32fast::hash(other.as_bytes()) != crc32fast::hash(user.as_bytes()) {
                    let wrong = matches!(t.verify_rtm(&cert(), &other),
                                         Err(TokenError::WrongAccount { .. }));
                    prop_assert!(wrong);
                }
            }
        }
    }

    #[test]
    fn parsing_garbage_never_panics(
        prefix in prop_oneof![Just("007"), Just("006"), Just("00"), Just("")],
        body in proptest::collection::vec(any::<u8>(), 0..200),
        text in ".{0,80}",
    ) {
        let b64 = format!("{prefix}{}", STANDARD.encode(&body));
        let z = format!("{prefix}{}", STANDARD.encode(zlib(&body)));
        let raw = format!("{prefix}{text}");
        for token in [b64, z, raw] {
            let _ = parse(&token);
            let _ = AccessToken2::parse(&token);
            let _ = LegacyAccessToken::parse(&token);
        }
    }

    #[test]
    fn any_id_over_64_bytes_is_refused(user in "[a-z]{65,100}") {
        let refused = matches!(
            rtm().build_with(&user, P),
            Err(TokenError::InvalidId { reason: IdError::TooLong { .. }, .. })
        );
        prop_assert!(refused);
    }
}

#[test]
fn service_accessors() {
    let s = Service::chat_user("c", 5);
    assert_eq!(s.service_type(), service_type::CHAT);
    assert_eq!(s.privileges(), Some(&one(privilege::CHAT_USER, 5)));
    assert_eq!(
        Service::apaas(privilege::APAAS_APP, "", "", -1, 1).service_type(),
        service_type::APAAS
    );
}

#[test]
fn the_client_hands_out_a_token_builder_from_its_own_credentials() {
    use classroom_api::types::Region;
    use classroom_api::{Client, Credentials};

    let client = Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::app_certificate(CERT).unwrap())
        .build()
        .unwrap();
    let tokens = client.token_builder().expect("certificate credentials");
    assert_eq!(tokens.app_id().as_str(), APP_ID);
    // The same token as a builder given the app id and certificate again, signed with them.
    let from_client = tokens
        .room_user_token_with("math-101", "student-7", UserRole::Student, P)
        .unwrap();
    let direct = edu()
        .room_user_token_with("math-101", "student-7", UserRole::Student, P)
        .unwrap();
    assert_eq!(from_client.as_str(), direct.as_str());
    AccessToken2::parse(from_client.as_str())
        .unwrap()
        .verify(&cert())
        .unwrap();
    // Neither the builder nor the client shows the certificate.
    for shown in [format!("{tokens:?}"), format!("{client:?}")] {
        assert!(
            !shown.to_lowercase().contains(&CERT.to_lowercase()),
            "{shown}"
        );
    }
    // A client without the certificate has no builder to give.
    let with_token = Client::builder(APP_ID)
        .region(Region::China)
        .credentials(Credentials::token("007token").unwrap())
        .build()
        .unwrap();
    assert!(with_token.token_builder().is_none());
}

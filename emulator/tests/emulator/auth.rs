//! Credentials: the app token, the legacy RTM pair, and every way to get a 401.

use classroom_api::token::{
    AppCertificate, AppId, EducationTokenBuilder, LegacyParams, LegacyRtmTokenBuilder,
    RtmTokenBuilder, TokenParams, random_salt, unix_now,
};
use classroom_api::types::CreateRoomRequest;
use classroom_api::types::RoomType;
use classroom_api::{Credentials, RetryPolicy};
use classroom_emulator::Emulator;

use crate::support::{assert_responses_match_spec, client, client_with, read, room_path, start};

const OTHER_CERT: &str = "00112233445566778899aabbccddeeff";
const OTHER_APP: &str = "ffeeddccbbaa99887766554433221100";

fn ids(emu: &Emulator) -> (AppId, AppCertificate) {
    (
        AppId::new(emu.app_id()).expect("app id"),
        AppCertificate::new(emu.certificate()).expect("certificate"),
    )
}

/// Whether `credentials` may create a room; the HTTP status otherwise.
async fn status_with(emu: &Emulator, credentials: Credentials) -> Result<(), u16> {
    let client = client_with(emu, credentials, RetryPolicy::none());
    let body = CreateRoomRequest::new("auth", RoomType::OneToOne);
    match client.create_room("auth-room", &body).await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.status().unwrap_or(0)),
    }
}

#[tokio::test]
async fn the_app_certificate_is_accepted_and_a_wrong_one_is_401() {
    let (emu, _) = start().await;
    assert_eq!(
        status_with(
            &emu,
            Credentials::app_certificate(emu.certificate()).expect("c")
        )
        .await,
        Ok(())
    );
    assert_eq!(
        status_with(&emu, Credentials::app_certificate(OTHER_CERT).expect("c")).await,
        Err(401)
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn expired_foreign_and_non_education_tokens_are_401() {
    let (emu, _) = start().await;
    let (app, cert) = ids(&emu);
    let now = u32::try_from(unix_now()).expect("now");
    let expired = EducationTokenBuilder::new(app.clone(), cert.clone())
        .app_token_with(TokenParams {
            issue_ts: now - 7200,
            salt: random_salt(),
            expire: 3600,
        })
        .expect("token");
    assert_eq!(
        status_with(&emu, Credentials::token(expired.as_str()).expect("t")).await,
        Err(401)
    );
    let foreign = EducationTokenBuilder::new(AppId::new(OTHER_APP).expect("id"), cert.clone())
        .app_token(600)
        .expect("token");
    assert_eq!(
        status_with(&emu, Credentials::token(foreign.as_str()).expect("t")).await,
        Err(401)
    );
    let rtm_only = RtmTokenBuilder::new(app.clone(), cert.clone())
        .build("u1", 600)
        .expect("token");
    assert_eq!(
        status_with(&emu, Credentials::token(rtm_only.as_str()).expect("t")).await,
        Err(401)
    );
    let valid = EducationTokenBuilder::new(app, cert)
        .app_token(600)
        .expect("token");
    assert_eq!(
        status_with(&emu, Credentials::token(valid.as_str()).expect("t")).await,
        Ok(())
    );
    assert_eq!(
        status_with(&emu, Credentials::token("007garbage").expect("t")).await,
        Err(401)
    );
    let err = client_with(
        &emu,
        Credentials::token("007garbage").expect("t"),
        RetryPolicy::none(),
    )
    .get_user("r", "u")
    .await
    .expect_err("401");
    assert_eq!(err.code().map(|c| c.code()), Some(401));
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn the_legacy_rtm_pair_works_with_006_and_007_tokens() {
    let (emu, _) = start().await;
    let (app, cert) = ids(&emu);
    let legacy = LegacyRtmTokenBuilder::new(app.clone(), cert.clone())
        .build("server-uid", 600)
        .expect("006 token");
    assert_eq!(
        status_with(
            &emu,
            Credentials::rtm(legacy.as_str(), "server-uid").expect("c")
        )
        .await,
        Ok(())
    );
    assert_eq!(
        status_with(
            &emu,
            Credentials::rtm(legacy.as_str(), "someone-else").expect("c")
        )
        .await,
        Err(401)
    );
    let params = LegacyParams::now(600).expect("params");
    let stale = LegacyRtmTokenBuilder::new(app.clone(), cert.clone())
        .build_with(
            "server-uid",
            LegacyParams {
                privilege_expire_ts: 1,
                ..params
            },
        )
        .expect("expired 006 token");
    assert_eq!(
        status_with(
            &emu,
            Credentials::rtm(stale.as_str(), "server-uid").expect("c")
        )
        .await,
        Err(401)
    );
    let v2 = RtmTokenBuilder::new(app, cert)
        .build("server-uid", 600)
        .expect("007 token");
    assert_eq!(
        status_with(
            &emu,
            Credentials::rtm(v2.as_str(), "server-uid").expect("c")
        )
        .await,
        Ok(())
    );
    assert_eq!(
        status_with(&emu, Credentials::rtm(v2.as_str(), "other").expect("c")).await,
        Err(401)
    );
    let wrong = LegacyRtmTokenBuilder::new(
        AppId::new(emu.app_id()).expect("id"),
        AppCertificate::new(OTHER_CERT).expect("c"),
    )
    .build("server-uid", 600)
    .expect("token");
    assert_eq!(
        status_with(
            &emu,
            Credentials::rtm(wrong.as_str(), "server-uid").expect("c")
        )
        .await,
        Err(401)
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn raw_requests_without_or_with_odd_headers() {
    let (emu, sdk) = start().await;
    let (app, cert) = ids(&emu);
    let url = format!("{}/users/u", room_path(&emu, "r"));
    let http = reqwest::Client::new();
    let (status, _, body) = read(http.get(&url).send().await.expect("send")).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(401)));
    let (status, _, _) = read(
        http.get(&url)
            .header("authorization", "Bearer x")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 401);
    // The documents' curl examples send x-agora-uid twice, the token second.
    let token = LegacyRtmTokenBuilder::new(app, cert)
        .build("uid-1", 600)
        .expect("token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.append("x-agora-uid", "uid-1".parse().expect("value"));
    headers.append("x-agora-uid", token.as_str().parse().expect("value"));
    let (status, _, body) = read(http.get(&url).headers(headers).send().await.expect("send")).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (404, Some(20404100)),
        "authenticated, then no room"
    );
    // The path's app id must be the emulator's.
    let foreign = room_path(&emu, "r").replace(emu.app_id(), OTHER_APP);
    let (status, _, _) = read(
        http.get(format!("{foreign}/users/u"))
            .header(
                "authorization",
                format!("agora token={}", crate::support::app_token(&emu)),
            )
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 401);
    let _ = client(&emu, RetryPolicy::none());
    drop(sdk);
    assert_responses_match_spec(&emu);
}

//! Hostile callers of the emulator: front-end tokens, tokens whose privilege expired, and admin
//! endpoints on a non-loopback address.

use classroom_api::token::{
    AccessToken2, AppCertificate, AppId, EducationTokenBuilder, Service, TokenParams, privilege,
    random_salt, unix_now,
};
use classroom_api::types::{CreateRoomRequest, RoomType};
use classroom_api::{Credentials, RetryPolicy};
use classroom_emulator::Emulator;

use crate::support::{client_with, start};

fn ids(emu: &Emulator) -> (AppId, AppCertificate) {
    (
        AppId::new(emu.app_id()).expect("app id"),
        AppCertificate::new(emu.certificate()).expect("certificate"),
    )
}

/// Whether `credentials` may create a room; the HTTP status and message otherwise.
async fn outcome(emu: &Emulator, credentials: Credentials) -> Result<(), (u16, String)> {
    let client = client_with(emu, credentials, RetryPolicy::none());
    let body = CreateRoomRequest::new("auth", RoomType::OneToOne);
    match client.create_room("auth-room", &body).await {
        Ok(_) => Ok(()),
        Err(e) => Err((
            e.status().unwrap_or(0),
            e.api().map(|a| a.msg.clone()).unwrap_or_default(),
        )),
    }
}

fn token(text: &str) -> Credentials {
    Credentials::token(text).expect("token credentials")
}

#[tokio::test]
async fn only_the_app_token_is_accepted_not_the_front_end_tokens() {
    let (emu, _) = start().await;
    let (app, cert) = ids(&emu);
    let builder = EducationTokenBuilder::new(app, cert);
    let room_user = builder
        .room_user_token(
            "auth-room",
            "student-1",
            classroom_api::types::UserRole::Student,
            600,
        )
        .expect("room-user token");
    let user = builder.user_token("student-1", 600).expect("user token");
    for (name, t) in [("room-user", room_user), ("user", user)] {
        let err = outcome(&emu, token(t.as_str())).await.expect_err(name);
        assert_eq!(err.0, 401, "{name}: {err:?}");
        assert!(err.1.contains("app token"), "{name}: {err:?}");
    }
    let app_token = builder.app_token(600).expect("app token");
    assert_eq!(outcome(&emu, token(app_token.as_str())).await, Ok(()));
}

#[tokio::test]
async fn an_expired_privilege_is_refused_though_the_token_is_not_expired() {
    let (emu, _) = start().await;
    let (app, cert) = ids(&emu);
    let now = u32::try_from(unix_now()).expect("now");
    let params = TokenParams {
        issue_ts: now - 100,
        salt: random_salt(),
        expire: 3600,
    };
    // The app privilege lasted 10 s after issue: over 90 s ago.
    let stale = AccessToken2::build(
        &app,
        &cert,
        params,
        &[Service::apaas(privilege::APAAS_APP, "", "", -1, 10)],
    )
    .expect("token");
    let err = outcome(&emu, token(stale.as_str()))
        .await
        .expect_err("expired privilege");
    assert_eq!(err.0, 401, "{err:?}");
    assert!(err.1.contains("privilege"), "{err:?}");
    // The RTM login privilege of a legacy pair is checked the same way.
    let stale_rtm =
        AccessToken2::build(&app, &cert, params, &[Service::rtm_login("server-uid", 10)])
            .expect("token");
    let err = outcome(
        &emu,
        Credentials::rtm(stale_rtm.as_str(), "server-uid").expect("rtm"),
    )
    .await
    .expect_err("expired RTM privilege");
    assert_eq!(err.0, 401, "{err:?}");
}

async fn admin_status(emu: &Emulator) -> u16 {
    let url = format!("{}/_emulator/info", emu.base_url());
    reqwest::get(url).await.expect("info").status().as_u16()
}

#[tokio::test]
async fn admin_endpoints_are_refused_on_a_non_loopback_address_unless_allowed() {
    let exposed = Emulator::builder()
        .host("0.0.0.0")
        .start()
        .await
        .expect("starts");
    assert_eq!(admin_status(&exposed).await, 403);
    // The API itself is served.
    let credentials = Credentials::app_certificate(exposed.certificate()).expect("c");
    assert_eq!(outcome(&exposed, credentials).await, Ok(()));
    let allowed = Emulator::builder()
        .host("0.0.0.0")
        .remote_admin(true)
        .start()
        .await
        .expect("starts");
    assert_eq!(admin_status(&allowed).await, 200);
    let local = Emulator::start().await.expect("starts");
    assert_eq!(admin_status(&local).await, 200);
}

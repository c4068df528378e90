//! The emulator's own Rust API (users, injected events, fault rules) and its admin endpoints'
//! JSON, as the README shows them.

use classroom_api::types::UserRole;
use classroom_emulator::JoinUser;
use serde_json::json;

use crate::support::{REGION, assert_responses_match_spec, start};

async fn create(client: &classroom_api::Client, room: &str) {
    let body = classroom_api::types::CreateRoomRequest::new(
        room,
        classroom_api::types::RoomType::SmallClass,
    );
    client.create_room(room, &body).await.expect("createRoom");
}

#[tokio::test]
async fn a_user_joins_with_the_crates_role_in_rust_or_by_name_in_json() {
    let (emu, client) = start().await;
    create(&client, "r").await;
    emu.add_user(
        REGION.as_str(),
        "r",
        "t",
        JoinUser::new("Tess").role(UserRole::Teacher),
    )
    .expect("join");
    assert_eq!(
        client.get_user("r", "t").await.expect("getUser").role,
        Some(UserRole::Teacher)
    );
    // The admin endpoint takes the names the API accepts, as well as the integers.
    let url = format!("{}/_emulator/cn/rooms/r/users/a", emu.base_url());
    let http = reqwest::Client::new();
    let answer = http
        .put(&url)
        .json(&json!({"userName": "Al", "role": "assistant"}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        client.get_user("r", "a").await.expect("getUser").role,
        Some(UserRole::Assistant)
    );
    // A role no user can have is refused, in Rust and in JSON.
    let err = emu
        .add_user(
            REGION.as_str(),
            "r",
            "s",
            JoinUser::new("Sam").role(UserRole::Other("server".into())),
        )
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, 400));
    assert!(
        err.msg
            .contains("role must be teacher (1), student (2) or assistant (3)"),
        "{err}"
    );
    let answer = http
        .put(&url)
        .json(&json!({"role": 7}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 400);
    assert_responses_match_spec(&emu);
}

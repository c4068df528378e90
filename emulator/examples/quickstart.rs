//! Quick start: create a classroom, start it, add and kick a user, read the events.
//!
//! ```text
//! cargo run -p classroom-emulator --example quickstart
//! ```
//!
//! With none of `CLASSROOM_APP_ID`, `CLASSROOM_APP_CERTIFICATE` and `CLASSROOM_REGION` set, it
//! runs against the emulator (`classroom-emulator`) started in-process, so it works offline on a
//! fresh machine. With all three set it runs against Agora's service; users then join from the
//! classroom clients, so the step that adds one is skipped.
//!
//! It lives in the emulator's crate, not in `classroom-api`'s: the emulator depends on
//! `classroom-api`, and a dev-dependency back on it would keep `cargo publish` from packaging the
//! client crate alone.

use std::error::Error;
use std::time::Duration;

use classroom_api::events::{Event, EventPayload};
use classroom_api::operations::ListRoomEventsQuery;
use classroom_api::types::{
    CreateRoomRequest, KickDirty, KickState, KickUserRequest, Region, RoomProperties, RoomSchedule,
    RoomState, RoomType, UserOnlineState, UserRole,
};
use classroom_api::{Client, Credentials};
use classroom_emulator::{Emulator, JoinUser};

const VARS: [&str; 3] = [
    "CLASSROOM_APP_ID",
    "CLASSROOM_APP_CERTIFICATE",
    "CLASSROOM_REGION",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let set: Vec<Option<String>> = VARS.iter().map(|v| std::env::var(v).ok()).collect();
    // Kept alive until the end of main: dropping it stops the emulator.
    let mut emulator = None;
    let (client, region) = match set.as_slice() {
        [Some(app_id), Some(certificate), Some(region)] => {
            let region: Region = region.parse()?;
            println!("Using Agora's service, app {app_id}, region {region}.");
            let client = Client::builder(app_id)
                .region(region.clone())
                .credentials(Credentials::app_certificate(certificate)?)
                .build()?;
            (client, region)
        }
        [None, None, None] => {
            let emu = Emulator::start().await?;
            println!(
                "No credentials in the environment: using the emulator at {} (app {}).",
                emu.base_url(),
                emu.app_id()
            );
            let region = Region::China;
            let client = Client::builder(emu.app_id())
                .region(region.clone())
                .credentials(Credentials::app_certificate(emu.certificate())?)
                .base_url(emu.base_url())
                .build()?;
            emulator = Some(emu);
            (client, region)
        }
        _ => {
            let missing: Vec<&str> = VARS
                .iter()
                .zip(&set)
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| *name)
                .collect();
            return Err(format!(
                "set all of {} to use Agora's service, or none to use the emulator; missing {}",
                VARS.join(", "),
                missing.join(", ")
            )
            .into());
        }
    };

    let room = format!("quickstart-{}", std::process::id());
    let schedule = RoomSchedule::new()
        .with_duration(1800)
        .with_close_delay(600);
    let body = CreateRoomRequest::new("Quick start", RoomType::SmallClass)
        .with_room_properties(RoomProperties::new().with_schedule(schedule));
    client.create_room(&room, &body).await?;
    println!("1. Created the classroom {room:?} (small class, 30 minutes).");

    client.set_room_state(&room, RoomState::Started).await?;
    println!("2. Started it.");

    let user = "student-1";
    match &emulator {
        Some(emu) => {
            emu.add_user(
                region.as_str(),
                &room,
                user,
                JoinUser::new("Student One").role(UserRole::Student),
            )?;
            let found = client.get_user(&room, user).await?;
            let online = matches!(found.state, Some(UserOnlineState::Online));
            println!(
                "3. Added the user {user:?} through the emulator; getUser says {:?}, {}.",
                found.user_name.unwrap_or_default(),
                if online { "online" } else { "offline" }
            );
        }
        None => println!(
            "3. Skipped adding a user: on the real service users join from the classroom clients."
        ),
    }

    let kick = KickUserRequest::new().with_dirty(
        KickDirty::new()
            .with_state(KickState::Kicked)
            .with_duration(600),
    );
    match client.kick_user(&room, user, Some(&kick)).await {
        Ok(()) => println!("4. Kicked {user:?} out for 10 minutes."),
        Err(e) if e.is_not_found() => {
            println!("4. Could not kick {user:?}: it is not in the classroom ({e}).")
        }
        Err(e) => return Err(e.into()),
    }

    println!("5. The classroom's events:");
    let mut query = ListRoomEventsQuery::default();
    loop {
        let page = client.list_room_events(&room, &query).await?;
        for event in page.list.unwrap_or_default() {
            println!("   {}", describe(&event));
        }
        match page.next_id {
            Some(next) => query = ListRoomEventsQuery::default().next_id(next),
            None => break,
        }
    }
    let polled = client.poll_app_events().await?;
    println!(
        "6. The app-wide polling endpoint delivered {} event(s); each is delivered once.",
        polled.len()
    );

    client.set_room_state(&room, RoomState::Ended).await?;
    println!("7. Ended the classroom.");
    if let Some(emu) = emulator.take() {
        tokio::time::timeout(Duration::from_secs(5), emu.shutdown()).await?;
    }
    Ok(())
}

fn describe(event: &Event) -> String {
    let what = match &event.payload {
        EventPayload::RoomState(d) => format!(
            "the classroom state is now {}",
            d.state.as_ref().map_or("?".into(), |s| s.to_string())
        ),
        EventPayload::UsersInOut(d) => format!(
            "users in: {}, users out: {}",
            names(d.online_users.as_deref()),
            names(d.offline_users.as_deref())
        ),
        other => format!("{other:?}"),
    };
    format!("#{} (cmd {}): {what}", event.sequence, event.cmd)
}

fn names(users: Option<&[serde_json::Map<String, serde_json::Value>]>) -> String {
    let names: Vec<String> = users
        .unwrap_or_default()
        .iter()
        .map(|u| {
            u.get("userUuid")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

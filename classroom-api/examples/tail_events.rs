//! Prints the events of every classroom of an app as they come, one line each, until Ctrl-C.
//!
//! ```text
//! CLASSROOM_APP_ID=... CLASSROOM_APP_CERTIFICATE=... CLASSROOM_REGION=cn \
//!     cargo run -p classroom-api --example tail_events
//! ```
//!
//! Environment:
//!
//! * `CLASSROOM_APP_ID`: the App ID (32 hexadecimal characters), required.
//! * `CLASSROOM_APP_CERTIFICATE`: the app certificate (32 hexadecimal characters), required.
//! * `CLASSROOM_REGION`: `cn`, `ap`, `na` or `eu`, required.
//! * `CLASSROOM_BASE_URL`: another server (a gateway, a test server), optional.
//! * `CLASSROOM_CHECKPOINT_FILE`: keep checkpoints in this file, so that a restart goes on where
//!   the last run stopped, with nothing lost or repeated; optional. Without it, rooms are followed
//!   from their first event seen.
//!
//! A missing or invalid setting is reported on stderr with exit code 2.

use std::process::ExitCode;

use classroom_api::checkpoint::FileStore;
use classroom_api::events::{Event, EventPayload};
use classroom_api::poller::{NewRooms, Poller};
use classroom_api::types::Region;
use classroom_api::{Client, Credentials};

const USAGE: &str = "\
usage: CLASSROOM_APP_ID=<app id> CLASSROOM_APP_CERTIFICATE=<certificate> CLASSROOM_REGION=<cn|ap|na|eu> \\
       [CLASSROOM_BASE_URL=<url>] [CLASSROOM_CHECKPOINT_FILE=<path>] tail_events";

#[tokio::main]
async fn main() -> ExitCode {
    let (client, checkpoint_file) = match configure() {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("tail_events: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Poller::builder(client);
    builder = match &checkpoint_file {
        Some(path) => builder.checkpoint_store(FileStore::new(path)),
        None => builder.new_rooms(NewRooms::FromFirstSeen),
    };
    let poller = builder.build();
    let shutdown = poller.cancellation_token();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("tail_events: stopping after the current event");
            shutdown.cancel();
        }
    });
    eprintln!("tail_events: polling; Ctrl-C to stop");
    let result = poller
        .run(|event| async move {
            println!("{}", line(&event));
            Ok::<_, std::convert::Infallible>(())
        })
        .await;
    match result {
        Ok(stats) => {
            eprintln!("tail_events: {} events handled", stats.events_handled);
            ExitCode::SUCCESS
        }
        Err(err) => {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("tail_events: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The client and the checkpoint file, from the environment.
fn configure() -> Result<(Client, Option<String>), String> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let required = |name: &str| var(name).ok_or_else(|| format!("{name} is not set"));
    let app_id = required("CLASSROOM_APP_ID")?;
    let certificate = required("CLASSROOM_APP_CERTIFICATE")?;
    let region: Region = required("CLASSROOM_REGION")?
        .parse()
        .unwrap_or_else(|never| match never {});
    if let Region::Unknown(other) = &region {
        return Err(format!(
            "CLASSROOM_REGION is {other:?}; expected cn, ap, na or eu"
        ));
    }
    let credentials = Credentials::app_certificate(&certificate)
        .map_err(|e| format!("CLASSROOM_APP_CERTIFICATE: {e}"))?;
    let mut builder = Client::builder(app_id)
        .region(region)
        .credentials(credentials);
    if let Some(url) = var("CLASSROOM_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    Ok((client, var("CLASSROOM_CHECKPOINT_FILE")))
}

/// One line for an event: room, sequence, cmd and what happened.
fn line(event: &Event) -> String {
    let what = match &event.payload {
        EventPayload::RoomState(d) => format!("room state {:?}", d.state),
        EventPayload::ChatMessage(d) => format!(
            "chat from {}: {}",
            d.from_user
                .as_ref()
                .and_then(|u| u.user_name.as_deref())
                .unwrap_or("?"),
            d.message.as_deref().unwrap_or("")
        ),
        EventPayload::UsersInOut(d) => format!(
            "users in: {}, out: {}",
            d.online_users.as_ref().map_or(0, Vec::len),
            d.offline_users.as_ref().map_or(0, Vec::len)
        ),
        EventPayload::RecordingState(d) => format!("recording {:?}", d.state),
        EventPayload::WidgetProperties(d) => match event.widget_event() {
            Some(Ok(view)) => format!("{view:?}"),
            Some(Err(err)) => format!("widget {:?}: {err}", d.widget_uuid),
            None => format!("widget {:?} {:?}", d.widget_uuid, d.change_properties),
        },
        EventPayload::Unknown { data, .. } => format!("not documented: {data}"),
        EventPayload::Malformed { error, .. } => format!("unreadable: {error}"),
        other => format!("{other:?}"),
    };
    format!(
        "{} #{} cmd {}: {what}",
        event.room_uuid, event.sequence, event.cmd
    )
}

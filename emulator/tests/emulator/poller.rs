//! The SDK's poller against the emulator's polling faults: every event of every room reaches the
//! handler once, in sequence order, whatever the polling endpoint does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use classroom_api::RetryPolicy;
use classroom_api::poller::Poller;
use classroom_api::types::{CreateRoomRequest, RoomType};
use classroom_emulator::{Emulator, Fault, FaultRule, InjectEvents};
use serde_json::json;

use crate::support::client;

const ROOMS: [&str; 3] = ["p1", "p2", "p3"];

fn inject(emu: &Emulator, room: &str, count: u32) {
    emu.inject_events(
        "cn",
        room,
        InjectEvents {
            cmd: 3,
            data: json!({"message": "m", "type": 1}),
            count,
        },
    )
    .expect("inject");
}

fn poll_fault(emu: &Emulator, fault: Fault, times: u32) {
    emu.add_fault(
        FaultRule::new(fault)
            .operation("pollAppEvents")
            .times(times),
    )
    .expect("rule");
}

#[tokio::test]
async fn the_poller_loses_nothing_to_the_polling_faults() {
    let emu = Emulator::start().await.expect("start");
    let client = client(&emu, RetryPolicy::default().with_max_attempts(3));
    for room in ROOMS {
        client
            .create_room(room, &CreateRoomRequest::new(room, RoomType::SmallClass))
            .await
            .expect("create");
    }
    let seen: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let poller = Poller::builder(client.clone())
        .interval(Duration::from_millis(20))
        .gap_timeout(Duration::from_secs(5))
        .reconcile_every(Duration::from_millis(300))
        .build();
    let stop = poller.cancellation_token();
    let sink = seen.clone();
    let task = tokio::spawn(poller.run(move |event| {
        let sink = sink.clone();
        async move {
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((event.room_uuid.clone(), event.sequence));
            Ok::<_, std::convert::Infallible>(())
        }
    }));

    // Rounds of events, each under other faults of the polling endpoint.
    let faults = [
        (Fault::DuplicateBatch, 2),
        (Fault::WithholdBatch { redeliver: false }, 2),
        (Fault::Drop { after: true }, 2),
        (Fault::Unavailable { retry_after: 0 }, 2),
        (Fault::Drop { after: false }, 1),
        (Fault::WithholdBatch { redeliver: true }, 1),
        (Fault::Latency { ms: 50 }, 3),
    ];
    for (fault, times) in faults {
        poll_fault(&emu, fault, times);
        for (i, room) in ROOMS.iter().enumerate() {
            inject(&emu, room, 20 + 15 * u32::try_from(i).unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: BTreeMap<String, i64> = ROOMS
        .iter()
        .map(|room| {
            let count = emu.room("cn", room).expect("room")["eventCount"]
                .as_i64()
                .expect("count");
            ((*room).to_owned(), count)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done = {
            let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            expected
                .iter()
                .all(|(room, n)| seen.iter().filter(|(r, _)| r == room).count() as i64 >= *n)
        };
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    task.await
        .expect("the poller task")
        .expect("the poller stops cleanly");
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for (room, n) in &expected {
        let got: Vec<i64> = seen
            .iter()
            .filter(|(r, _)| r == room)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(
            got,
            (1..=*n).collect::<Vec<_>>(),
            "room {room}: every event once, in order"
        );
    }
    let applied: u32 = emu.faults().iter().map(|f| f.applied).sum();
    assert!(applied >= 10, "the faults were met ({applied} applied)");
}

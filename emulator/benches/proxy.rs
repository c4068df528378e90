//! What the validating proxy adds to a call on loopback: `getUser` through the SDK, straight to
//! the emulator and through the proxy in front of it, rounds alternating, one call at a time.
//! Prints the medians and the added latency (`--json` for `cargo xtask bench`).

use std::time::{Duration, Instant};

use classroom_api::types::{CreateRoomRequest, Region, RoomType};
use classroom_api::{Client, Credentials, RetryPolicy};
use classroom_emulator::{Emulator, JoinUser, Proxy};

const ROUNDS: usize = 6;
const CALLS: usize = 400;

fn client(emulator: &Emulator, base_url: &str) -> Client {
    Client::builder(emulator.app_id())
        .region(Region::China)
        .credentials(Credentials::app_certificate(emulator.certificate()).expect("certificate"))
        .base_url(base_url)
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}

async fn round(client: &Client, out: &mut Vec<Duration>) {
    for _ in 0..CALLS {
        let started = Instant::now();
        client.get_user("bench", "ann").await.expect("getUser");
        out.push(started.elapsed());
    }
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (direct, proxied) = runtime.block_on(async {
        let emulator = Emulator::start().await.expect("emulator");
        let proxy = Proxy::builder()
            .upstream(emulator.base_url())
            .start()
            .await
            .expect("proxy");
        let straight = client(&emulator, emulator.base_url());
        let through = client(&emulator, proxy.base_url());
        straight
            .create_room(
                "bench",
                &CreateRoomRequest::new("Bench", RoomType::SmallClass),
            )
            .await
            .expect("createRoom");
        emulator
            .add_user("cn", "bench", "ann", JoinUser::new("Ann"))
            .expect("join");
        // Warm both paths (connections, caches).
        round(&straight, &mut Vec::new()).await;
        round(&through, &mut Vec::new()).await;
        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        for i in 0..ROUNDS {
            if i % 2 == 0 {
                round(&straight, &mut direct).await;
                round(&through, &mut proxied).await;
            } else {
                round(&through, &mut proxied).await;
                round(&straight, &mut direct).await;
            }
        }
        assert!(proxy.drifts().is_empty(), "{:?}", proxy.drifts());
        (median(direct), median(proxied))
    });
    let figures = [
        ("proxy.get_user_direct_median_ms", direct),
        ("proxy.get_user_proxied_median_ms", proxied),
        ("proxy.added_median_ms", proxied - direct),
        ("proxy.ratio_proxied_over_direct_time", proxied / direct),
    ];
    if json {
        let map: serde_json::Map<String, serde_json::Value> = figures
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for (k, v) in figures {
            println!("{k:<40} {v:>10.3}");
        }
    }
}

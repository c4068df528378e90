//! `classroom-emulator`: runs the emulator until interrupted.

use std::io::Write;

use clap::Parser;
use classroom_emulator::{DEFAULT_APP_ID, DEFAULT_CERTIFICATE, Emulator, FaultRule};

/// A stateful local emulator of the Agora Flexible Classroom server REST API.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The app id to serve (32 hexadecimal characters).
    #[arg(long, default_value = DEFAULT_APP_ID)]
    app_id: String,
    /// The app certificate tokens must be signed with (32 hexadecimal characters).
    #[arg(long, default_value = DEFAULT_CERTIFICATE)]
    certificate: String,
    /// Keep every API response, for `GET /_emulator/responses`.
    #[arg(long)]
    record: bool,
    /// A fault rule active from the start, as JSON (repeatable), e.g.
    /// '{"operation":"pollAppEvents","times":1,"fault":{"type":"unavailable","retryAfter":1}}'.
    #[arg(long = "fault", value_name = "JSON")]
    faults: Vec<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut builder = Emulator::builder()
        .host(args.host)
        .port(args.port)
        .app_id(&args.app_id)
        .certificate(&args.certificate)
        .record_responses(args.record);
    for fault in &args.faults {
        match serde_json::from_str::<FaultRule>(fault) {
            Ok(rule) => builder = builder.fault(rule),
            Err(e) => {
                eprintln!("error: --fault {fault}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Written without println!, which panics when stdout is closed (e.g. `| head -1`).
    let url = emulator.base_url();
    let banner = format!(
        "Flexible Classroom emulator listening on {url}\n  \
         app id:      {}\n  \
         certificate: {}\n  \
         regions:     cn, ap, na, eu\n  \
         admin:       {url}/_emulator/info\n\
         Press Ctrl-C to stop.\n",
        emulator.app_id(),
        emulator.certificate(),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    emulator.shutdown().await;
    std::process::ExitCode::SUCCESS
}

//! `classroom-emulator`: runs the emulator until interrupted.
//!
//! The app certificate is a secret: it is read from the environment
//! (`CLASSROOM_EMULATOR_CERTIFICATE`) or a file (`--certificate-file`), never from the command
//! line (which other users of the machine can read), and never printed.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use classroom_emulator::{DEFAULT_APP_ID, DEFAULT_CERTIFICATE, Emulator, FaultRule};
use zeroize::Zeroizing;

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
    /// A file holding the app certificate tokens must be signed with (32 hexadecimal characters,
    /// surrounding whitespace ignored). Default: the environment variable
    /// CLASSROOM_EMULATOR_CERTIFICATE, else the built-in test certificate.
    #[arg(long, value_name = "PATH")]
    certificate_file: Option<PathBuf>,
    /// Serve the unauthenticated /_emulator admin endpoints on a non-loopback --host too.
    #[arg(long)]
    remote_admin: bool,
    /// Keep every API response, for `GET /_emulator/responses`.
    #[arg(long)]
    record: bool,
    /// A fault rule active from the start, as JSON (repeatable), e.g.
    /// '{"operation":"pollAppEvents","times":1,"fault":{"type":"unavailable","retryAfter":1}}'.
    #[arg(long = "fault", value_name = "JSON")]
    faults: Vec<String>,
}

/// The environment variable the certificate is read from.
const CERTIFICATE_VAR: &str = "CLASSROOM_EMULATOR_CERTIFICATE";

/// The certificate and where it came from (for the banner, which never shows the certificate).
fn certificate(args: &Args) -> Result<(Zeroizing<String>, String), String> {
    if let Some(path) = &args.certificate_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--certificate-file {}: {e}", path.display()))?,
        );
        let source = format!("from {}", path.display());
        return Ok((Zeroizing::new(text.trim().to_owned()), source));
    }
    match std::env::var(CERTIFICATE_VAR).map(Zeroizing::new) {
        Ok(value) => Ok((
            Zeroizing::new(value.trim().to_owned()),
            format!("from ${CERTIFICATE_VAR}"),
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("${CERTIFICATE_VAR} is not UTF-8")),
        Err(std::env::VarError::NotPresent) => Ok((
            Zeroizing::new(DEFAULT_CERTIFICATE.to_owned()),
            "the built-in test certificate (classroom_emulator::DEFAULT_CERTIFICATE)".to_owned(),
        )),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let (certificate, certificate_source) = match certificate(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut builder = Emulator::builder()
        .host(args.host)
        .port(args.port)
        .app_id(&args.app_id)
        .certificate(certificate.as_str())
        .record_responses(args.record)
        .remote_admin(args.remote_admin);
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
         certificate: {certificate_source}\n  \
         regions:     cn, ap, na, eu\n  \
         admin:       {url}/_emulator/info\n\
         Press Ctrl-C to stop.\n",
        emulator.app_id(),
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

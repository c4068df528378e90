//! `classroom-emulator`: runs the emulator until interrupted.
//!
//! The app certificate is a secret: it is read from the environment
//! (`CLASSROOM_EMULATOR_CERTIFICATE`) or a file (`--certificate-file`), never from the command
//! line (which other users of the machine can read), and never printed.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use classroom_emulator::{DEFAULT_APP_ID, DEFAULT_CERTIFICATE, Emulator, FaultRule, Proxy, Replay};
use zeroize::Zeroizing;

/// A stateful local emulator of the Agora Flexible Classroom server REST API.
///
/// Without a subcommand it serves the emulator. `proxy` checks real traffic against the spec;
/// `replay` serves what `proxy --record` recorded.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
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

#[derive(Debug, Subcommand)]
enum Command {
    /// Forwards every request unchanged to the upstream (the real service), checks the request
    /// and the answer against the spec, and reports each difference; a summary at Ctrl-C.
    Proxy {
        /// The upstream base URL, e.g. https://api.agora.io (repeatable: the next is tried when
        /// the connection to one fails).
        #[arg(long = "upstream", required = true, value_name = "URL")]
        upstreams: Vec<String>,
        /// The port to listen on.
        #[arg(long, default_value_t = 8081)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Records every exchange into DIR, one JSON-lines file per operation, secrets scrubbed.
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
        /// Writes each difference and the summary as JSON lines to FILE (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        json_lines: Option<PathBuf>,
        /// Seconds the upstream may take to answer one request.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Serves the exchanges recorded by `proxy --record DIR`: the same method, path and body get
    /// the recorded answer; anything else a 501 that names the request.
    Replay {
        /// The directory of recordings.
        dir: PathBuf,
        /// The port to listen on.
        #[arg(long, default_value_t = 8082)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
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
    if let Some(command) = args.command {
        return run(command).await;
    }
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

/// Writes `text` to standard output without panicking when it is closed.
fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

async fn run(command: Command) -> std::process::ExitCode {
    match command {
        Command::Proxy {
            upstreams,
            port,
            host,
            record,
            json_lines,
            timeout,
        } => {
            let mut builder = Proxy::builder()
                .host(host)
                .port(port)
                .timeout(std::time::Duration::from_secs(timeout))
                .log_to_stderr(true);
            for u in &upstreams {
                builder = builder.upstream(u);
            }
            if let Some(dir) = &record {
                builder = builder.record(dir);
            }
            match json_lines.as_deref() {
                Some(p) if p.as_os_str() == "-" => builder = builder.json_lines(std::io::stdout()),
                Some(p) => match std::fs::File::create(p) {
                    Ok(f) => builder = builder.json_lines(std::io::LineWriter::new(f)),
                    Err(e) => {
                        eprintln!("error: --json-lines {}: {e}", p.display());
                        return std::process::ExitCode::FAILURE;
                    }
                },
                None => {}
            }
            let proxy = match builder.start().await {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            // Listening for Ctrl-C before the banner: an interrupt right after it is not missed.
            let interrupted = interrupted();
            let banner = format!(
                "Validating proxy listening on {}\n  upstream:  {}\n  recording: {}\nPress Ctrl-C to stop and print the summary.\n",
                proxy.base_url(),
                upstreams.join(", "),
                record.map_or_else(|| "off".to_owned(), |d| d.display().to_string()),
            );
            if json_lines.as_deref().is_some_and(|p| p.as_os_str() == "-") {
                eprint!("{banner}");
            } else {
                say(&banner);
            }
            interrupted.await;
            let summary = proxy.shutdown().await;
            eprint!("{summary}");
            std::process::ExitCode::SUCCESS
        }
        Command::Replay { dir, port, host } => {
            let replay = match Replay::start(&dir, &host, port).await {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            say(&format!(
                "Replaying {} recorded exchanges of {} on {}\nPress Ctrl-C to stop.\n",
                replay.exchanges(),
                dir.display(),
                replay.base_url(),
            ));
            if let Err(e) = tokio::signal::ctrl_c().await {
                eprintln!("error: cannot wait for Ctrl-C: {e}");
            }
            replay.shutdown().await;
            std::process::ExitCode::SUCCESS
        }
    }
}

/// Ctrl-C from now on: on Unix the handler is installed when this is called, not when the future
/// is first polled.
fn interrupted() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        async move {
            match signal {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(e) => eprintln!("error: cannot wait for Ctrl-C: {e}"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("error: cannot wait for Ctrl-C: {e}");
        }
    }
}

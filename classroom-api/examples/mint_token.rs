//! Mints an Agora token and prints it alone on stdout.
//!
//! ```text
//! cargo run -p classroom-api --features legacy-006 --example mint_token -- <scope> --app-id ID --certificate CERT \
//!     [--user ID] [--room UUID] [--role ROLE] [--expire SECS] [--issue-ts TS] [--salt N]
//! ```
//!
//! Errors go to stderr, with exit code 2. It needs the `legacy-006` feature for its `rtm-legacy`
//! scope.

use std::process::ExitCode;

use classroom_api::token::{
    AppCertificate, AppId, EducationTokenBuilder, LegacyParams, LegacyRtmTokenBuilder,
    RtmTokenBuilder, TokenParams, random_salt, unix_now,
};
use classroom_api::types::UserRole;

const USAGE: &str = "\
usage: mint_token <scope> --app-id ID --certificate CERT [options]

scopes:
  app         Flexible Classroom app token (what the REST API wants)
  user        Flexible Classroom user token            (needs --user)
  room-user   Flexible Classroom room-user token       (needs --room, --user, --role)
  rtm         RTM login token, AccessToken2 (007)      (needs --user)
  rtm-legacy  RTM login token, AccessToken 006         (needs --user)

options:
  --app-id ID        32 hex characters
  --certificate C    32 hex characters
  --user ID          user uuid / RTM user id (1-64 bytes)
  --room UUID        room uuid (1-64 bytes)
  --role ROLE        classroom role: teacher, student, assistant or an integer
  --expire SECS      seconds after the issue time (default 3600)
  --issue-ts TS      issue time, unix seconds (default now); for rtm-legacy
                     the token's ts field, the privilege expiring at TS + SECS
                     (without it rtm-legacy does as the vendor: ts = now + 24h,
                     privilege expiring at now + SECS)
  --salt N           salt (default random in 1..=99999999)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mint_token: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Opts {
    app_id: Option<String>,
    certificate: Option<String>,
    user: Option<String>,
    room: Option<String>,
    role: Option<String>,
    expire: Option<String>,
    issue_ts: Option<String>,
    salt: Option<String>,
}

/// Mints the token the arguments (without the program name) ask for.
pub fn run(args: &[String]) -> Result<String, String> {
    let (scope, rest) = args.split_first().ok_or("missing scope")?;
    let needs: &[&str] = match scope.as_str() {
        "app" => &[],
        "user" | "rtm" | "rtm-legacy" => &["--user"],
        "room-user" => &["--room", "--user", "--role"],
        other if other.starts_with('-') => return Err("missing scope".to_owned()),
        other => return Err(format!("unknown scope {other:?}")),
    };
    let mut o = Opts::default();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let slot = match flag {
            "--app-id" => &mut o.app_id,
            "--certificate" => &mut o.certificate,
            "--user" => &mut o.user,
            "--room" => &mut o.room,
            "--role" => &mut o.role,
            "--expire" => &mut o.expire,
            "--issue-ts" => &mut o.issue_ts,
            "--salt" => &mut o.salt,
            _ => return Err(format!("unknown argument {arg:?}")),
        };
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{flag} needs a value"))?
                .clone(),
        };
        if slot.replace(value).is_some() {
            return Err(format!("{flag} given twice"));
        }
    }

    for (flag, given) in [
        ("--user", o.user.is_some()),
        ("--room", o.room.is_some()),
        ("--role", o.role.is_some()),
    ] {
        match (needs.contains(&flag), given) {
            (true, false) => return Err(format!("scope {scope} needs {flag}")),
            (false, true) => return Err(format!("scope {scope} takes no {flag}")),
            _ => {}
        }
    }

    let app_id =
        AppId::new(o.app_id.as_deref().ok_or("missing --app-id")?).map_err(|e| e.to_string())?;
    let certificate = AppCertificate::new(o.certificate.as_deref().ok_or("missing --certificate")?)
        .map_err(|e| e.to_string())?;
    let expire: u32 = number("--expire", o.expire.as_deref())?.unwrap_or(3600);
    let issue_ts: Option<u32> = number("--issue-ts", o.issue_ts.as_deref())?;
    let salt: Option<u32> = number("--salt", o.salt.as_deref())?;
    // A role decodes as the API's `role` does: a name ("student", "audience") or an integer.
    let role: UserRole = match o.role.as_deref() {
        Some(text) => serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|e| format!("--role: {e}"))?,
        None => UserRole::Student,
    };
    let user = o.user.as_deref().unwrap_or_default();
    let room = o.room.as_deref().unwrap_or_default();

    let params = TokenParams {
        issue_ts: issue_ts.unwrap_or_else(|| u32::try_from(unix_now()).unwrap_or(u32::MAX)),
        salt: salt.unwrap_or_else(random_salt),
        expire,
    };
    let edu = || EducationTokenBuilder::new(app_id.clone(), certificate.clone());
    let token = match scope.as_str() {
        "app" => edu().app_token_with(params),
        "user" => edu().user_token_with(user, params),
        "room-user" => edu().room_user_token_with(room, user, role, params),
        "rtm" => RtmTokenBuilder::new(app_id.clone(), certificate.clone()).build_with(user, params),
        _ => {
            let legacy = match issue_ts {
                Some(_) => LegacyParams::try_from(params),
                None => LegacyParams::now(expire).map(|p| LegacyParams {
                    salt: params.salt,
                    ..p
                }),
            }
            .map_err(|e| e.to_string())?;
            LegacyRtmTokenBuilder::new(app_id.clone(), certificate.clone()).build_with(user, legacy)
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(token.into_string())
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<&str>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    value
        .map(|v| v.parse().map_err(|e| format!("{flag} {v:?}: {e}")))
        .transpose()
}

//! Authentication of API requests, with the crate's token module.
//!
//! * `Authorization: agora token=<AccessToken2>`: the token must be a 007 token for the
//!   emulator's app id, signed with its certificate, not expired, and carry the education **app**
//!   privilege (APaaS service, privilege 3), not yet expired. The room-user and user tokens
//!   (privileges 1 and 2) are for browsers and are refused, as production refuses them.
//! * The legacy pair `x-agora-token` + `x-agora-uid`: an RTM token for that uid, either a 006
//!   token (checked with [`LegacyAccessToken::validate_rtm`]) or a 007 token with an RTM service
//!   for that user id whose login privilege has not expired. The documents' curl examples send
//!   `x-agora-uid` twice, the second time with the token; that form is accepted too.
//!
//! A 007 privilege's value is seconds after the token's issue time, like the token's own expiry;
//! both are checked. Expiry is checked against the real clock, not the emulator's adjustable
//! clock.

use axum::http::HeaderMap;
use classroom_api::token::{
    AccessToken2, AppCertificate, AppId, LegacyAccessToken, Service, privilege, unix_now,
};

/// Checks the request's credentials; the error is the reason, sent in the 401 answer.
pub(crate) fn check(
    headers: &HeaderMap,
    app_id: &AppId,
    certificate: &AppCertificate,
) -> Result<(), String> {
    let now = unix_now();
    if let Some(value) = headers.get("authorization") {
        let value = value
            .to_str()
            .map_err(|_| "the Authorization header is not ASCII".to_owned())?;
        let token = value
            .trim()
            .strip_prefix("agora token=")
            .ok_or_else(|| "the Authorization header is not `agora token=<token>`".to_owned())?
            .trim();
        let parsed = AccessToken2::parse_and_validate(token, app_id, certificate, now)
            .map_err(|e| format!("invalid token: {e}"))?;
        let app_privilege = parsed.services().iter().find_map(|s| match s {
            Service::Apaas { privileges, .. } => privileges.get(&privilege::APAAS_APP).copied(),
            _ => None,
        });
        let Some(expire) = app_privilege else {
            return Err(
                "the token is not an education app token (APaaS service with the app privilege); \
                 room-user and user tokens are for front ends"
                    .to_owned(),
            );
        };
        return privilege_alive(&parsed, expire, now, "app");
    }
    let uids: Vec<&str> = headers
        .get_all("x-agora-uid")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let (token, uid) = match (headers.get("x-agora-token"), uids.as_slice()) {
        (Some(token), [uid, ..]) => (
            token
                .to_str()
                .map_err(|_| "the x-agora-token header is not ASCII".to_owned())?,
            *uid,
        ),
        // The documents' curl examples: `-H 'x-agora-uid: {uid}' -H 'x-agora-uid: {rtmToken}'`.
        (None, [uid, token]) => (*token, *uid),
        _ => {
            return Err(
                "no credentials: send `Authorization: agora token=<token>` or x-agora-token and x-agora-uid"
                    .to_owned(),
            );
        }
    };
    let token = token.trim();
    let uid = uid.trim();
    match token.get(..3) {
        Some("006") => LegacyAccessToken::parse(token)
            .and_then(|t| t.validate_rtm(app_id, certificate, uid, now))
            .map_err(|e| format!("invalid RTM token: {e}")),
        Some("007") => {
            let parsed = AccessToken2::parse_and_validate(token, app_id, certificate, now)
                .map_err(|e| format!("invalid RTM token: {e}"))?;
            let login = parsed.services().iter().find_map(|s| match s {
                Service::Rtm {
                    user_id,
                    privileges,
                } if user_id == uid => Some(privileges.get(&privilege::RTM_LOGIN).copied()),
                _ => None,
            });
            match login {
                Some(Some(expire)) => privilege_alive(&parsed, expire, now, "RTM login"),
                Some(None) => Err("the RTM token has no login privilege".to_owned()),
                None => Err(format!(
                    "the RTM token has no RTM service for the uid {uid:?}"
                )),
            }
        }
        _ => Err("the RTM token is neither a 006 nor a 007 token".to_owned()),
    }
}

/// Whether a privilege of `token` lasting `expire` seconds after the issue time is still valid.
fn privilege_alive(token: &AccessToken2, expire: u32, now: u64, name: &str) -> Result<(), String> {
    let until = u64::from(token.issue_ts()) + u64::from(expire);
    if now < until {
        Ok(())
    } else {
        Err(format!(
            "the token's {name} privilege expired at {until} (now {now})"
        ))
    }
}

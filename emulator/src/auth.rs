//! Authentication of API requests, with the crate's token module.
//!
//! * `Authorization: agora token=<AccessToken2>`: the token must be a 007 token for the
//!   emulator's app id, signed with its certificate, not expired, and carry an APaaS (education)
//!   service.
//! * The legacy pair `x-agora-token` + `x-agora-uid`: an RTM token for that uid, either a 006
//!   token (checked with [`LegacyAccessToken::validate_rtm`]) or a 007 token with an RTM service
//!   for that user id. The documents' curl examples send `x-agora-uid` twice, the second time
//!   with the token; that form is accepted too.
//!
//! Expiry is checked against the real clock, not the emulator's adjustable clock.

use axum::http::HeaderMap;
use classroom_api::token::{
    AccessToken2, AppCertificate, AppId, LegacyAccessToken, Service, service_type, unix_now,
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
        if !parsed
            .services()
            .iter()
            .any(|s| s.service_type() == service_type::APAAS)
        {
            return Err("the token has no APaaS (education) service".to_owned());
        }
        return Ok(());
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
            let for_uid = parsed
                .services()
                .iter()
                .any(|s| matches!(s, Service::Rtm { user_id, .. } if user_id == uid));
            if for_uid {
                Ok(())
            } else {
                Err(format!(
                    "the RTM token has no RTM service for the uid {uid:?}"
                ))
            }
        }
        _ => Err("the RTM token is neither a 006 nor a 007 token".to_owned()),
    }
}

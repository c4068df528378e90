//! AccessToken 006: the legacy RTM login token.
//!
//! ```text
//! token   = "006" app_id(32 ASCII) base64(content)          standard alphabet, padded; no zlib
//! content = string(signature[32]) u32(crc32(channel_name)) u32(crc32(uid)) string(m)
//! m       = u32(salt) u32(ts) u16(n) (u16 privilege, u32 absolute_expiry)*n   sorted by privilege
//! signature = HMAC-SHA256(key = ascii(certificate), app_id channel_name uid m)
//! ```
//!
//! For RTM the channel name is the user account, the uid is `""` (CRC32 0)
//! and the only privilege is RTM login (1000), valued with an absolute unix
//! time.

use std::collections::BTreeMap;

use super::wire::{Reader, Writer};
use super::{
    AppCertificate, AppId, Malformed, Token, TokenError, TokenParams, TokenVersion, check_id,
    privilege, unix_now_u32,
};

const VERSION: &str = "006";
const APP_ID_LEN: usize = 32;

/// The explicit inputs of a 006 token.
///
/// Unlike a 007 token's issue time, the vendor sets `ts` to *now + 24 hours*
/// ([`LegacyParams::now`] does the same); the token's expiry is the RTM login
/// privilege's absolute time `privilege_expire_ts`.
///
/// From [`TokenParams`] (`TryFrom`): `ts = issue_ts`, `salt = salt`,
/// `privilege_expire_ts = issue_ts + expire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegacyParams {
    /// The token's `ts` field, unix seconds.
    pub ts: u32,
    /// The salt.
    pub salt: u32,
    /// When the RTM login privilege expires, unix seconds.
    pub privilege_expire_ts: u32,
}

impl LegacyParams {
    /// What the vendor's builder uses: `ts = now + 24 h`, a random salt in
    /// `SALT_MIN..=SALT_MAX`, privilege expiring `expire` seconds from now.
    pub fn now(expire: u32) -> Result<Self, TokenError> {
        let now = unix_now_u32();
        Ok(Self {
            ts: now.saturating_add(24 * 3600),
            salt: super::random_salt(),
            privilege_expire_ts: now
                .checked_add(expire)
                .ok_or(TokenError::ExpiryOverflow { ts: now, expire })?,
        })
    }
}

impl TryFrom<TokenParams> for LegacyParams {
    type Error = TokenError;
    fn try_from(p: TokenParams) -> Result<Self, TokenError> {
        Ok(Self {
            ts: p.issue_ts,
            salt: p.salt,
            privilege_expire_ts: p.issue_ts.checked_add(p.expire).ok_or(
                TokenError::ExpiryOverflow {
                    ts: p.issue_ts,
                    expire: p.expire,
                },
            )?,
        })
    }
}

/// Builds legacy 006 RTM tokens, as the vendor's `RtmTokenBuilder.buildToken`
/// (AccessToken 006) does.
#[derive(Debug, Clone)]
pub struct LegacyRtmTokenBuilder {
    app_id: AppId,
    certificate: AppCertificate,
}

impl LegacyRtmTokenBuilder {
    /// A builder for this app.
    pub fn new(app_id: AppId, certificate: AppCertificate) -> Self {
        Self {
            app_id,
            certificate,
        }
    }

    /// A token for `user_id` whose login privilege expires `expire` seconds
    /// from now ([`LegacyParams::now`]).
    pub fn build(&self, user_id: &str, expire: u32) -> Result<Token, TokenError> {
        self.build_with(user_id, LegacyParams::now(expire)?)
    }

    /// A token with explicit parameters.
    pub fn build_with(&self, user_id: &str, params: LegacyParams) -> Result<Token, TokenError> {
        check_id("user id", user_id)?;
        let privileges =
            BTreeMap::from([(privilege::LEGACY_RTM_LOGIN, params.privilege_expire_ts)]);
        let value = build(
            &self.app_id,
            &self.certificate,
            user_id,
            "",
            params.salt,
            params.ts,
            &privileges,
        )?;
        Ok(Token::new(
            value,
            TokenVersion::V006,
            u64::from(params.privilege_expire_ts),
        ))
    }
}

fn build(
    app_id: &AppId,
    certificate: &AppCertificate,
    channel_name: &str,
    uid: &str,
    salt: u32,
    ts: u32,
    privileges: &BTreeMap<u16, u32>,
) -> Result<String, TokenError> {
    let mut m = Writer::new();
    m.u32(salt).u32(ts).map("privileges", privileges)?;
    let m = m.into_inner();
    let signature = super::hmac_sha256(
        certificate.as_bytes(),
        &[
            app_id.as_str().as_bytes(),
            channel_name.as_bytes(),
            uid.as_bytes(),
            &m,
        ],
    );
    let mut content = Writer::new();
    content
        .bytes("signature", &signature)?
        .u32(crc32fast::hash(channel_name.as_bytes()))
        .u32(crc32fast::hash(uid.as_bytes()))
        .bytes("privilege message", &m)?;
    Ok(format!(
        "{VERSION}{}{}",
        app_id.as_str(),
        super::base64_encode(&content.into_inner())
    ))
}

/// A parsed 006 token.
///
/// The signature covers the channel name and uid, which the token holds only
/// as CRC32 checksums: verifying needs them ([`LegacyAccessToken::verify`],
/// or [`LegacyAccessToken::verify_rtm`] with the RTM user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyAccessToken {
    app_id: String,
    signature: Vec<u8>,
    crc_channel_name: u32,
    crc_uid: u32,
    salt: u32,
    ts: u32,
    privileges: BTreeMap<u16, u32>,
    message: Vec<u8>,
}

impl LegacyAccessToken {
    /// Decodes a `"006"` token. Checks its structure only.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        let rest = match token.strip_prefix(VERSION) {
            Some(rest) => rest,
            None => return Err(super::wrong_version(token, VERSION)),
        };
        let (app_id, body) = match (rest.get(..APP_ID_LEN), rest.get(APP_ID_LEN..)) {
            (Some(a), Some(b)) if a.is_ascii() => (a, b),
            _ if rest.len() < APP_ID_LEN => {
                return Err(Malformed::Truncated { part: "app id" }.into());
            }
            _ => return Err(Malformed::AppId.into()),
        };
        let content = super::base64_decode(body)?;
        let mut r = Reader::new(&content);
        let signature = r.signature()?;
        let crc_channel_name = r.u32("channel name checksum")?;
        let crc_uid = r.u32("uid checksum")?;
        let message = r.bytes("privilege message")?;
        let mut m = Reader::new(message);
        let salt = m.u32("salt")?;
        let ts = m.u32("ts")?;
        let privileges = m.map("privileges")?;
        Ok(Self {
            app_id: app_id.to_owned(),
            signature: signature.to_vec(),
            crc_channel_name,
            crc_uid,
            salt,
            ts,
            privileges,
            message: message.to_vec(),
        })
    }

    /// The app id the token names.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The 32-byte signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// CRC32 of the channel name (the RTM user id).
    pub fn crc_channel_name(&self) -> u32 {
        self.crc_channel_name
    }

    /// CRC32 of the uid (0 for the empty uid of RTM tokens).
    pub fn crc_uid(&self) -> u32 {
        self.crc_uid
    }

    /// The salt.
    pub fn salt(&self) -> u32 {
        self.salt
    }

    /// The `ts` field (the vendor sets it to issue time + 24 h).
    pub fn ts(&self) -> u32 {
        self.ts
    }

    /// Privileges: key → absolute unix time.
    pub fn privileges(&self) -> &BTreeMap<u16, u32> {
        &self.privileges
    }

    /// When the RTM login privilege (1000) expires, unix seconds; `None` if
    /// the token has none.
    pub fn expires_at(&self) -> Option<u64> {
        self.privileges
            .get(&privilege::LEGACY_RTM_LOGIN)
            .map(|&t| u64::from(t))
    }

    /// Checks the signature for this channel name and uid: first their
    /// checksums ([`TokenError::WrongAccount`]), then the HMAC
    /// ([`TokenError::BadSignature`]).
    pub fn verify(
        &self,
        certificate: &AppCertificate,
        channel_name: &str,
        uid: &str,
    ) -> Result<(), TokenError> {
        if crc32fast::hash(channel_name.as_bytes()) != self.crc_channel_name {
            return Err(TokenError::WrongAccount {
                part: "channel name",
            });
        }
        if crc32fast::hash(uid.as_bytes()) != self.crc_uid {
            return Err(TokenError::WrongAccount { part: "uid" });
        }
        let ok = super::hmac_sha256_verify(
            certificate.as_bytes(),
            &[
                self.app_id.as_bytes(),
                channel_name.as_bytes(),
                uid.as_bytes(),
                &self.message,
            ],
            &self.signature,
        );
        if ok {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// [`verify`](Self::verify) for an RTM token: channel name = `user_id`,
    /// uid = `""`.
    pub fn verify_rtm(
        &self,
        certificate: &AppCertificate,
        user_id: &str,
    ) -> Result<(), TokenError> {
        self.verify(certificate, user_id, "")
    }

    /// Checks an RTM token: app id (ignoring ASCII case), account and
    /// signature, then that the RTM login privilege has not expired at unix
    /// time `now` (a token without that privilege counts as expired at 0).
    pub fn validate_rtm(
        &self,
        app_id: &AppId,
        certificate: &AppCertificate,
        user_id: &str,
        now: u64,
    ) -> Result<(), TokenError> {
        super::check_app_id(app_id, &self.app_id)?;
        self.verify_rtm(certificate, user_id)?;
        super::check_expiry(self.expires_at().unwrap_or(0), now)
    }
}

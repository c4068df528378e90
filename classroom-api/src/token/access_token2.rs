//! AccessToken2 (`"007"`): building, parsing and verifying.

use std::collections::BTreeMap;

use super::wire::{Reader, Writer};
use super::{
    AppCertificate, AppId, MAX_CONTENT_LEN, Malformed, Token, TokenError, TokenParams,
    TokenVersion, service_type,
};

const VERSION: &str = "007";

/// One service of an AccessToken2 with its privileges (privilege key →
/// seconds after the issue time) and its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Service {
    /// RTC (type 1): channel name and uid (empty for uid 0).
    Rtc {
        /// Privileges.
        privileges: BTreeMap<u16, u32>,
        /// Channel name.
        channel_name: String,
        /// User id as text; empty for uid 0.
        uid: String,
    },
    /// RTM (type 2): user id.
    Rtm {
        /// Privileges.
        privileges: BTreeMap<u16, u32>,
        /// RTM user id.
        user_id: String,
    },
    /// FPA (type 4): no own fields.
    Fpa {
        /// Privileges.
        privileges: BTreeMap<u16, u32>,
    },
    /// Chat (type 5): user id.
    Chat {
        /// Privileges.
        privileges: BTreeMap<u16, u32>,
        /// Chat user id.
        user_id: String,
    },
    /// APaaS / education (type 7): room uuid, user uuid, role (`""`, `""`,
    /// `-1` where a scope has none).
    Apaas {
        /// Privileges.
        privileges: BTreeMap<u16, u32>,
        /// Room uuid, empty in the app and user scopes.
        room_uuid: String,
        /// User uuid, empty in the app scope.
        user_uuid: String,
        /// Role, -1 in the app and user scopes.
        role: i16,
    },
    /// A service type this crate does not know. Its length cannot be known,
    /// so parsing stops here: `data` holds every remaining signed byte (this
    /// service's body and any services after it). Building packs
    /// `service_type` followed by `data` unchanged.
    Unknown {
        /// The service type.
        service_type: u16,
        /// The rest of the signed content.
        data: Vec<u8>,
    },
}

fn single(privilege: u16, expire: u32) -> BTreeMap<u16, u32> {
    BTreeMap::from([(privilege, expire)])
}

impl Service {
    /// An RTM service with the login privilege.
    pub fn rtm_login(user_id: &str, expire: u32) -> Self {
        Service::Rtm {
            privileges: single(super::privilege::RTM_LOGIN, expire),
            user_id: user_id.to_owned(),
        }
    }

    /// A Chat service with the user privilege.
    pub fn chat_user(user_id: &str, expire: u32) -> Self {
        Service::Chat {
            privileges: single(super::privilege::CHAT_USER, expire),
            user_id: user_id.to_owned(),
        }
    }

    /// An APaaS service with one privilege.
    pub fn apaas(privilege: u16, room_uuid: &str, user_uuid: &str, role: i16, expire: u32) -> Self {
        Service::Apaas {
            privileges: single(privilege, expire),
            room_uuid: room_uuid.to_owned(),
            user_uuid: user_uuid.to_owned(),
            role,
        }
    }

    /// The service type (see [`super::service_type`]).
    pub fn service_type(&self) -> u16 {
        match self {
            Service::Rtc { .. } => service_type::RTC,
            Service::Rtm { .. } => service_type::RTM,
            Service::Fpa { .. } => service_type::FPA,
            Service::Chat { .. } => service_type::CHAT,
            Service::Apaas { .. } => service_type::APAAS,
            Service::Unknown { service_type, .. } => *service_type,
        }
    }

    /// Its privileges; `None` for [`Service::Unknown`].
    pub fn privileges(&self) -> Option<&BTreeMap<u16, u32>> {
        match self {
            Service::Rtc { privileges, .. }
            | Service::Rtm { privileges, .. }
            | Service::Fpa { privileges }
            | Service::Chat { privileges, .. }
            | Service::Apaas { privileges, .. } => Some(privileges),
            Service::Unknown { .. } => None,
        }
    }

    fn pack(&self, w: &mut Writer) -> Result<(), TokenError> {
        w.u16(self.service_type());
        if let Some(p) = self.privileges() {
            w.map("privileges", p)?;
        }
        match self {
            Service::Rtc {
                channel_name, uid, ..
            } => {
                w.bytes("channel name", channel_name.as_bytes())?
                    .bytes("uid", uid.as_bytes())?;
            }
            Service::Rtm { user_id, .. } | Service::Chat { user_id, .. } => {
                w.bytes("user id", user_id.as_bytes())?;
            }
            Service::Fpa { .. } => {}
            Service::Apaas {
                room_uuid,
                user_uuid,
                role,
                ..
            } => {
                w.bytes("room uuid", room_uuid.as_bytes())?
                    .bytes("user uuid", user_uuid.as_bytes())?
                    .i16(*role);
            }
            Service::Unknown { data, .. } => {
                w.raw(data);
            }
        }
        Ok(())
    }

    fn unpack(ty: u16, r: &mut Reader<'_>) -> Result<Self, Malformed> {
        Ok(match ty {
            service_type::RTC => Service::Rtc {
                privileges: r.map("RTC privileges")?,
                channel_name: r.string("RTC channel name")?,
                uid: r.string("RTC uid")?,
            },
            service_type::RTM => Service::Rtm {
                privileges: r.map("RTM privileges")?,
                user_id: r.string("RTM user id")?,
            },
            service_type::FPA => Service::Fpa {
                privileges: r.map("FPA privileges")?,
            },
            service_type::CHAT => Service::Chat {
                privileges: r.map("chat privileges")?,
                user_id: r.string("chat user id")?,
            },
            service_type::APAAS => Service::Apaas {
                privileges: r.map("APaaS privileges")?,
                room_uuid: r.string("APaaS room uuid")?,
                user_uuid: r.string("APaaS user uuid")?,
                role: r.i16("APaaS role")?,
            },
            other => Service::Unknown {
                service_type: other,
                data: r.take_rest().to_vec(),
            },
        })
    }
}

/// A parsed AccessToken2 (`"007"` token).
///
/// [`AccessToken2::parse`] checks only the structure; [`AccessToken2::verify`]
/// checks the signature and [`AccessToken2::validate`] checks app id,
/// signature and expiry together.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken2 {
    app_id: String,
    issue_ts: u32,
    expire: u32,
    salt: u32,
    services: Vec<Service>,
    /// Decompressed content: `u16(32) signature signing_info`.
    content: Vec<u8>,
}

/// A token's signing key (see [`AccessToken2::signing_key`]): 32 secret bytes.
///
/// Its `Debug` output is `SigningKey(***)`, and its memory is overwritten with
/// zeros when it is dropped.
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl AsRef<[u8]> for SigningKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl zeroize::ZeroizeOnDrop for SigningKey {}

impl std::fmt::Debug for AccessToken2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken2")
            .field("app_id", &self.app_id)
            .field("issue_ts", &self.issue_ts)
            .field("expire", &self.expire)
            .field("salt", &self.salt)
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl AccessToken2 {
    /// The signing key: HMAC-SHA256 keyed with `u32le(salt)` over
    /// HMAC-SHA256 keyed with `u32le(issue_ts)` over the certificate's ASCII.
    ///
    /// The key is as secret as the certificate: it signs any token of this
    /// `issue_ts` and `salt`. Its `Debug` output hides it, and its memory (and
    /// that of the intermediate key) is overwritten with zeros when dropped.
    pub fn signing_key(certificate: &AppCertificate, issue_ts: u32, salt: u32) -> SigningKey {
        let mut first = super::hmac_sha256(&issue_ts.to_le_bytes(), &[certificate.as_bytes()]);
        let key = SigningKey(super::hmac_sha256(&salt.to_le_bytes(), &[&first]));
        zeroize::Zeroize::zeroize(&mut first);
        key
    }

    /// Builds a token carrying `services` (packed in service-type order; the
    /// order among services of the same type is kept).
    ///
    /// The specific builders ([`super::EducationTokenBuilder`],
    /// [`super::RtmTokenBuilder`]) call this.
    pub fn build(
        app_id: &AppId,
        certificate: &AppCertificate,
        params: TokenParams,
        services: &[Service],
    ) -> Result<Token, TokenError> {
        if services.is_empty() {
            return Err(TokenError::NoServices);
        }
        let mut sorted: Vec<&Service> = services.iter().collect();
        sorted.sort_by_key(|s| s.service_type());

        let mut w = Writer::new();
        w.bytes("app id", app_id.as_str().as_bytes())?
            .u32(params.issue_ts)
            .u32(params.expire)
            .u32(params.salt);
        let n =
            u16::try_from(sorted.len()).map_err(|_| TokenError::TooLarge { part: "services" })?;
        w.u16(n);
        for s in sorted {
            s.pack(&mut w)?;
        }
        let signing_info = w.into_inner();

        let key = Self::signing_key(certificate, params.issue_ts, params.salt);
        let signature = super::hmac_sha256(key.as_bytes(), &[&signing_info]);

        let mut content = Writer::new();
        content.bytes("signature", &signature)?.raw(&signing_info);
        let content = content.into_inner();

        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);

        Ok(Token::new(
            format!("{VERSION}{}", super::base64_encode(&compressed)),
            TokenVersion::V007,
            params.expires_at(),
        ))
    }

    /// Decodes a `"007"` token. Checks its structure only.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        let body = match token.strip_prefix(VERSION) {
            Some(body) => body,
            None => return Err(super::wrong_version(token, VERSION)),
        };
        let compressed = super::base64_decode(body)?;
        let content = inflate(&compressed)?;

        let mut r = Reader::new(&content);
        r.signature()?;
        let app_id = r.string("app id")?;
        let issue_ts = r.u32("issue time")?;
        let expire = r.u32("expire")?;
        let salt = r.u32("salt")?;
        let n = r.u16("service count")?;
        let mut services = Vec::with_capacity(usize::from(n).min(16));
        for _ in 0..n {
            let ty = r.u16("service type")?;
            let service = Service::unpack(ty, &mut r)?;
            let unknown = matches!(service, Service::Unknown { .. });
            services.push(service);
            if unknown {
                break;
            }
        }
        Ok(Self {
            app_id,
            issue_ts,
            expire,
            salt,
            services,
            content,
        })
    }

    /// The app id the token names.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Issue time, unix seconds.
    pub fn issue_ts(&self) -> u32 {
        self.issue_ts
    }

    /// Lifetime, seconds after the issue time.
    pub fn expire(&self) -> u32 {
        self.expire
    }

    /// The salt.
    pub fn salt(&self) -> u32 {
        self.salt
    }

    /// When the token expires: `issue_ts + expire`, unix seconds.
    pub fn expires_at(&self) -> u64 {
        u64::from(self.issue_ts) + u64::from(self.expire)
    }

    /// Whether it has expired at unix time `now` (valid while `now < expires_at`).
    pub fn is_expired_at(&self, now: u64) -> bool {
        now >= self.expires_at()
    }

    /// Its services, in token order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The decompressed content: `u16(32) signature signing_info`.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The 32-byte signature.
    pub fn signature(&self) -> &[u8] {
        &self.content[2..34]
    }

    /// The signed bytes (everything after the signature).
    pub fn signing_info(&self) -> &[u8] {
        &self.content[34..]
    }

    /// Checks the signature against `certificate` (constant-time).
    pub fn verify(&self, certificate: &AppCertificate) -> Result<(), TokenError> {
        let key = Self::signing_key(certificate, self.issue_ts, self.salt);
        if super::hmac_sha256_verify(key.as_bytes(), &[self.signing_info()], self.signature()) {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// Checks that the token is for `app_id` (ignoring ASCII case), signed
    /// with `certificate` and not expired at unix time `now`, in that order.
    pub fn validate(
        &self,
        app_id: &AppId,
        certificate: &AppCertificate,
        now: u64,
    ) -> Result<(), TokenError> {
        super::check_app_id(app_id, &self.app_id)?;
        self.verify(certificate)?;
        super::check_expiry(self.expires_at(), now)
    }

    /// Parses, then [`validate`](Self::validate)s.
    pub fn parse_and_validate(
        token: &str,
        app_id: &AppId,
        certificate: &AppCertificate,
        now: u64,
    ) -> Result<Self, TokenError> {
        let t = Self::parse(token)?;
        t.validate(app_id, certificate, now)?;
        Ok(t)
    }
}

/// Inflates a zlib stream, refusing incomplete streams and content larger
/// than any real token.
fn inflate(data: &[u8]) -> Result<Vec<u8>, Malformed> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
    decompress_to_vec_zlib_with_limit(data, MAX_CONTENT_LEN).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => Malformed::TooLarge {
            limit: MAX_CONTENT_LEN,
        },
        TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => Malformed::Zlib {
            reason: "the stream ends before its end marker".to_owned(),
        },
        _ => Malformed::Zlib {
            reason: e.to_string(),
        },
    })
}

//! Minting and parsing of Agora tokens.
//!
//! Two formats are supported:
//!
//! * **AccessToken2** (`"007"` tokens, [`AccessToken2`]): what the Flexible
//!   Classroom REST API wants (the *app token*, [`EducationTokenBuilder::app_token`]),
//!   what a backend hands to the classroom front end
//!   ([`EducationTokenBuilder::room_user_token`]) and the RTM login token
//!   ([`RtmTokenBuilder`]).
//! * **AccessToken 006** (`"006"` tokens, `LegacyAccessToken`), with the
//!   `legacy-006` feature: the legacy RTM login token (`LegacyRtmTokenBuilder`)
//!   that some endpoints take in the `x-agora-token` header.
//!
//! A backend usually mints one kind itself: the room-user token the classroom
//! front end joins with (the client mints and renews its own app token). With a
//! client built from the app certificate, take the builder from the client, so
//! the certificate is configured once; otherwise build one from the app id and
//! certificate:
//!
//! ```no_run
//! # fn run(client: &classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use classroom_api::token::{AppCertificate, AppId, EducationTokenBuilder};
//! use classroom_api::types::UserRole;
//!
//! let tokens = match client.token_builder() {
//!     Some(from_client) => from_client.clone(),
//!     None => EducationTokenBuilder::new(
//!         AppId::new("970ca35de60c44645bbae8a215061b33")?,
//!         AppCertificate::new("5cfd2fd1755d40ecb72977518be15d3b")?,
//!     ),
//! };
//! let token = tokens.room_user_token("math-101", "teacher-1", UserRole::Teacher, 3600)?;
//! println!("{token}");
//! # Ok(())
//! # }
//! ```
//!
//! Every builder produces what the vendor's own builders (AgoraIO/Tools,
//! `DynamicKey/AgoraDynamicKey`: python3 `AccessToken2.py`,
//! `apaas_token_builder.py`/`education_token_builder.py`, `RtmTokenBuilder2.py`,
//! `AccessToken.py`/`RtmTokenBuilder.py`, and the Go and Java ports) produce
//! for the same inputs, issue time and salt. The test suite checks this against
//! vectors taken from the vendor's test suites.
//!
//! # AccessToken2 layout
//!
//! ```text
//! token        = "007" base64(zlib(content))            standard alphabet, padded
//! content      = u16(32) signature[32] signing_info
//! signing_info = string(app_id) u32(issue_ts) u32(expire) u32(salt)
//!                u16(n) service*n                         sorted by service type
//! service      = u16(type) u16(m) (u16 privilege, u32 expire)*m   sorted by privilege
//!                type-specific fields
//! signing_key  = HMAC-SHA256(key = u32le(salt), HMAC-SHA256(key = u32le(issue_ts), ascii(certificate)))
//! signature    = HMAC-SHA256(key = signing_key, signing_info)
//! ```
//!
//! Integers are little-endian, `string` is a `u16` length followed by the bytes.
//! `expire` and every privilege value are seconds *relative* to `issue_ts`.
//!
//! # Where the vendor's code differs from its documentation, and why this module follows the code
//!
//! Agora's guides describe these tokens in prose, one scope at a time: an app token for the
//! REST API, a room-user token carrying the room, the user and the role for the classroom front
//! end. The vendor's builders are more precise, and in places do more than the prose says. This
//! module does what the builders do, because the server accepts what they produce (every token
//! in production was minted by them) and the vendor's own test vectors pin their output down
//! byte for byte; a token built from the prose alone could differ in a field the server checks.
//! Where they differ:
//!
//! * The APaaS (education, type 7) service **always** carries room uuid, user
//!   uuid and an `i16` role, in every scope, not only in the room-user scope:
//!   the app token packs `("", "", -1)`, the user token `("", user_uuid, -1)`.
//! * A room-user token carries **three** services, not one: APaaS
//!   (privilege 1, room uuid, user uuid, role), RTM (type 2, login privilege 1,
//!   user id = the user uuid), which lets the front end log in to signalling
//!   with the same token, and Chat (type 5, user privilege 1, user id =
//!   lowercase hex MD5 of the user uuid, see
//!   [`EducationTokenBuilder::chat_user_id`]). No RTC service. Serialized in type
//!   order: RTM, Chat, APaaS. (The Java port's `EducationTokenBuilder2` puts the
//!   chat privilege on the RTM service by mistake, leaving the Chat service with
//!   no privilege; the Python, Go and newer ports do not, and are followed here.)
//! * The role is the classroom's role ([`crate::types::UserRole`]: teacher 1,
//!   student 2, assistant 3), packed as an `i16`.
//! * Every privilege value equals the token's `expire` (relative seconds).
//! * The random salt is drawn from `1..=99_999_999`, as the vendor does.
//! * For 006 tokens the `ts` field is **not** an issue time: the vendor sets it
//!   to *now + 24 h*, and the RTM login privilege (1000) holds the *absolute*
//!   expiry. The vendor's RTM `role` argument is ignored by its builder and
//!   does not exist here. See `LegacyParams`.
//! * A parser meeting a service type it does not know cannot know that
//!   service's length; like the vendor's Python parser it stops there and keeps
//!   the remaining bytes ([`Service::Unknown`]). The signature is checked over
//!   the raw signed bytes, so such tokens still verify.
//!
//! # Input checks
//!
//! Builders take an [`AppId`] and an [`AppCertificate`], both checked to be 32
//! hexadecimal characters. User ids and room uuids must be 1 to
//! [`MAX_ID_LEN`] (64) bytes long and use Agora's documented character set for
//! user and room ids: ASCII letters, digits, space and
//! [`ID_PUNCTUATION`]. The vendor's builders check only the app id and
//! certificate; the stricter check turns an id Agora would refuse into an
//! error here instead of at the server.
//!
//! # Compression backend
//!
//! The zlib stream is produced by `miniz_oxide` (pure Rust; the default
//! backend of `flate2`, called directly to keep the dependency tree small) at
//! level 6. Its output is a valid zlib stream but not byte-identical to C
//! zlib's (for these short inputs it emits a stored block), and neither is
//! `zlib-rs`'s (checked: it also differs from C zlib at level 6 on the vendor
//! vectors), while only C zlib reproduces the vendor's expected token strings.
//! Linking C zlib was not worth it: it adds a C build to a pure-Rust crate.
//! The contract is therefore the decompressed
//! content: the tests compare the decompressed payload, signing key and
//! signature with the vendor's byte for byte, and parse and verify the
//! vendor's own token strings (C zlib and Go encodings). The vendor's own
//! ports disagree on the compressed bytes the same way (Go, Node and .NET
//! differ from C zlib; the vendor's Rust port also emits stored blocks), and
//! the server only ever decompresses. 006 tokens are not compressed, and their
//! strings match the vendor's exactly.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod access_token2;
mod builders;
#[cfg(feature = "legacy-006")]
mod legacy;
mod wire;

pub use access_token2::{AccessToken2, Service, SigningKey};
pub use builders::{EducationTokenBuilder, RtmTokenBuilder};
#[cfg(feature = "legacy-006")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-006")))]
pub use legacy::{LegacyAccessToken, LegacyParams, LegacyRtmTokenBuilder};

/// Service types of AccessToken2, as the vendor numbers them.
pub mod service_type {
    /// RTC (real-time audio and video).
    pub const RTC: u16 = 1;
    /// RTM (signalling), the service of [`super::RtmTokenBuilder`].
    pub const RTM: u16 = 2;
    /// FPA (fast packet acceleration).
    pub const FPA: u16 = 4;
    /// Chat (instant messaging).
    pub const CHAT: u16 = 5;
    /// APaaS, also called education: Flexible Classroom.
    pub const APAAS: u16 = 7;
}

/// Privilege keys, per service, as the vendor numbers them.
pub mod privilege {
    /// APaaS: a user in a given room (what the classroom front end uses).
    pub const APAAS_ROOM_USER: u16 = 1;
    /// APaaS: a user, in no particular room.
    pub const APAAS_USER: u16 = 2;
    /// APaaS: the whole app (what the REST API wants).
    pub const APAAS_APP: u16 = 3;
    /// RTM: log in.
    pub const RTM_LOGIN: u16 = 1;
    /// Chat: a chat user.
    pub const CHAT_USER: u16 = 1;
    /// Chat: the chat app.
    pub const CHAT_APP: u16 = 2;
    /// RTC: join a channel.
    pub const RTC_JOIN_CHANNEL: u16 = 1;
    /// Legacy 006 token: RTM login (its value is an absolute unix time).
    pub const LEGACY_RTM_LOGIN: u16 = 1000;
}

/// Longest user id or room uuid accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// The punctuation (and space) allowed in user ids and room uuids besides
/// ASCII letters and digits, per Agora's documentation.
pub const ID_PUNCTUATION: &str = " !#$%&()+-:;<=.>?@[]^_{}|~,";

/// Smallest salt the default parameters draw (the vendor's range).
pub const SALT_MIN: u32 = 1;
/// Largest salt the default parameters draw (the vendor's range).
pub const SALT_MAX: u32 = 99_999_999;

/// Longest decompressed 007 content the parser accepts, in bytes.
const MAX_CONTENT_LEN: usize = 64 * 1024;

/// Why a token could not be built, parsed or accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The app id is not 32 hexadecimal characters.
    #[error("invalid app id: {0}")]
    InvalidAppId(HexIdError),
    /// The app certificate is not 32 hexadecimal characters.
    #[error("invalid app certificate: {0}")]
    InvalidCertificate(HexIdError),
    /// A user id or room uuid is empty, too long or uses a character Agora
    /// does not allow.
    #[error("invalid {field}: {reason}")]
    InvalidId {
        /// Which input: `"user id"`, `"user uuid"` or `"room uuid"`.
        field: &'static str,
        /// What is wrong with it.
        reason: IdError,
    },
    /// A role a room-user token cannot carry: a name with no integer value
    /// (such as `"server"`), or an integer that does not fit the token's `i16`.
    #[error("the role {0} cannot be packed into a token: it needs an integer from -32768 to 32767")]
    InvalidRole(crate::types::UserRole),
    /// An AccessToken2 needs at least one service.
    #[error("a token needs at least one service")]
    NoServices,
    /// A field does not fit its `u16` length or count prefix.
    #[error("{part} is too large to be packed into a token")]
    TooLarge {
        /// Which part of the token.
        part: &'static str,
    },
    /// An absolute expiry does not fit in a `u32` unix time.
    #[error("expiry overflows a u32 unix time: {ts} + {expire}")]
    ExpiryOverflow {
        /// The time the expiry is counted from.
        ts: u32,
        /// The seconds added to it.
        expire: u32,
    },
    /// The token does not start with the expected version.
    #[error("wrong token version {found:?}, expected {expected:?}")]
    WrongVersion {
        /// What the token starts with (at most three characters).
        found: String,
        /// The version that was expected, or the versions understood.
        expected: &'static str,
    },
    /// The token could not be decoded.
    #[error("malformed token: {0}")]
    Malformed(#[from] Malformed),
    /// The token has expired.
    #[error("token expired at {expires_at} (now {now})")]
    Expired {
        /// Unix time at which the token expired.
        expires_at: u64,
        /// The unix time it was checked against.
        now: u64,
    },
    /// The token was issued for another app.
    #[error("token is for app id {found}, expected {expected}")]
    WrongAppId {
        /// The app id expected.
        expected: String,
        /// The app id in the token.
        found: String,
    },
    /// The signature does not match: the token was not signed with this
    /// certificate, or it was altered.
    #[error("bad signature: the token was not signed with this app certificate")]
    BadSignature,
    /// A 006 token's channel-name or uid checksum does not match the account
    /// it is checked for.
    #[error("token was not issued for this {part} (CRC32 mismatch)")]
    WrongAccount {
        /// `"channel name"` (the RTM user id) or `"uid"`.
        part: &'static str,
    },
}

/// What is wrong with an app id or certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HexIdError {
    /// It is not 32 bytes long.
    #[error("expected 32 hexadecimal characters, got {len} bytes")]
    Length {
        /// Its length in bytes.
        len: usize,
    },
    /// It has a character that is not a hexadecimal digit.
    #[error("character {index} is not a hexadecimal digit")]
    NotHex {
        /// Byte offset of the first offending character.
        index: usize,
    },
}

/// What is wrong with a user id or room uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// It is empty.
    #[error("must not be empty")]
    Empty,
    /// It is longer than [`MAX_ID_LEN`] bytes.
    #[error("{len} bytes long, at most {max} allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// It has a character outside the allowed set.
    #[error("character {ch:?} at byte {index} is not allowed")]
    InvalidChar {
        /// The character.
        ch: char,
        /// Its byte offset.
        index: usize,
    },
}

/// Which part of a token could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The token ends in the middle of this part.
    #[error("truncated in the {part}")]
    Truncated {
        /// The part being read.
        part: &'static str,
    },
    /// The base64 text is invalid.
    #[error("invalid base64: {reason}")]
    Base64 {
        /// The decoder's message.
        reason: String,
    },
    /// The zlib stream is invalid or incomplete.
    #[error("invalid zlib stream: {reason}")]
    Zlib {
        /// What went wrong.
        reason: String,
    },
    /// The decompressed content is larger than any real token.
    #[error("decompressed content exceeds {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A string field is not UTF-8.
    #[error("the {part} is not valid UTF-8")]
    NotUtf8 {
        /// The part being read.
        part: &'static str,
    },
    /// The signature is not 32 bytes long.
    #[error("signature is {len} bytes long, expected 32")]
    SignatureLength {
        /// Its length.
        len: usize,
    },
    /// The app id of a 006 token is not 32 ASCII characters.
    #[error("the app id is not 32 ASCII characters")]
    AppId,
}

fn check_hex32(s: &str) -> Result<(), HexIdError> {
    if s.len() != 32 {
        return Err(HexIdError::Length { len: s.len() });
    }
    match s.bytes().position(|b| !b.is_ascii_hexdigit()) {
        Some(index) => Err(HexIdError::NotHex { index }),
        None => Ok(()),
    }
}

/// An Agora app id: 32 hexadecimal characters, kept as given (case is
/// preserved because it is part of the signed content).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    /// Checks and wraps an app id.
    pub fn new(app_id: &str) -> Result<Self, TokenError> {
        check_hex32(app_id).map_err(TokenError::InvalidAppId)?;
        Ok(Self(app_id.to_owned()))
    }

    /// The app id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AppId {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl AsRef<str> for AppId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An Agora app certificate: the secret tokens are signed with.
///
/// Its `Debug` output is `AppCertificate(***)`; it has no `Display`. The
/// certificate is used as its 32 ASCII characters (case matters). Its memory
/// is overwritten with zeros when it is dropped (every clone's too).
#[derive(Clone)]
pub struct AppCertificate(String);

impl Drop for AppCertificate {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl zeroize::ZeroizeOnDrop for AppCertificate {}

impl AppCertificate {
    /// Checks and wraps an app certificate (32 hexadecimal characters).
    pub fn new(certificate: &str) -> Result<Self, TokenError> {
        check_hex32(certificate).map_err(TokenError::InvalidCertificate)?;
        Ok(Self(certificate.to_owned()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for AppCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppCertificate(***)")
    }
}

impl FromStr for AppCertificate {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Checks a user id or room uuid: 1..=[`MAX_ID_LEN`] bytes of ASCII letters,
/// digits, space and [`ID_PUNCTUATION`]. `field` names it in the error.
pub fn check_id(field: &'static str, id: &str) -> Result<(), TokenError> {
    let err = |reason| TokenError::InvalidId { field, reason };
    if id.is_empty() {
        return Err(err(IdError::Empty));
    }
    if id.len() > MAX_ID_LEN {
        return Err(err(IdError::TooLong {
            len: id.len(),
            max: MAX_ID_LEN,
        }));
    }
    if let Some((index, ch)) = id.char_indices().find(|&(_, c)| !is_id_char(c)) {
        return Err(err(IdError::InvalidChar { ch, index }));
    }
    Ok(())
}

/// Whether `c` may appear in a user id or room uuid.
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(c)
}

/// The explicit inputs of a 007 token, for reproducible output.
///
/// `expire` is in seconds after `issue_ts`; the token expires at
/// `issue_ts + expire` ([`TokenParams::expires_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenParams {
    /// Issue time, unix seconds.
    pub issue_ts: u32,
    /// Salt mixed into the signing key.
    pub salt: u32,
    /// Lifetime in seconds after `issue_ts` (also every privilege's value).
    pub expire: u32,
}

impl TokenParams {
    /// Issued now, with a random salt in `SALT_MIN..=SALT_MAX`.
    pub fn now(expire: u32) -> Self {
        Self {
            issue_ts: unix_now_u32(),
            salt: random_salt(),
            expire,
        }
    }

    /// When a token built with these parameters expires, unix seconds.
    pub fn expires_at(&self) -> u64 {
        u64::from(self.issue_ts) + u64::from(self.expire)
    }
}

/// The current unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn unix_now_u32() -> u32 {
    u32::try_from(unix_now()).unwrap_or(u32::MAX)
}

/// A random salt in `SALT_MIN..=SALT_MAX`, as the vendor draws it.
pub fn random_salt() -> u32 {
    let salt = crate::random::in_range(u64::from(SALT_MIN)..=u64::from(SALT_MAX));
    u32::try_from(salt).unwrap_or(SALT_MAX)
}

/// The format of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenVersion {
    /// AccessToken 006 (legacy).
    V006,
    /// AccessToken2 (007).
    V007,
}

impl TokenVersion {
    /// The three-character prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenVersion::V006 => "006",
            TokenVersion::V007 => "007",
        }
    }
}

/// A freshly built token and when it expires.
///
/// `Display`, [`Token::as_str`] and [`Token::into_string`] give the token
/// itself; `Debug` shows only its first characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token {
    value: String,
    version: TokenVersion,
    expires_at: u64,
}

impl Token {
    pub(crate) fn new(value: String, version: TokenVersion, expires_at: u64) -> Self {
        Self {
            value,
            version,
            expires_at,
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The token, as an owned string.
    pub fn into_string(self) -> String {
        self.value
    }

    /// Its format.
    pub fn version(&self) -> TokenVersion {
        self.version
    }

    /// When it expires, unix seconds: `issue_ts + expire` for 007 tokens, the
    /// RTM login privilege's absolute expiry for 006 tokens.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// When it expires, as a [`SystemTime`].
    pub fn expires_at_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at)
    }

    /// Whether it has expired at unix time `now` (it is valid while
    /// `now < expires_at`).
    pub fn is_expired_at(&self, now: u64) -> bool {
        now >= self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("version", &self.version)
            .field("token", &redact(&self.value))
            .field("len", &self.value.len())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl From<Token> for String {
    fn from(t: Token) -> String {
        t.value
    }
}

/// The first characters of a token, for `Debug`.
pub(crate) fn redact(token: &str) -> String {
    const SHOWN: usize = 12;
    match token.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}…", &token[..i]),
        None => token.to_owned(),
    }
}

/// A parsed token of either format.
///
/// Non-exhaustive: the `Legacy` variant exists with the `legacy-006` feature only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParsedToken {
    /// A 007 token.
    AccessToken2(AccessToken2),
    /// A 006 token.
    #[cfg(feature = "legacy-006")]
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-006")))]
    Legacy(LegacyAccessToken),
}

impl ParsedToken {
    /// The app id the token names.
    pub fn app_id(&self) -> &str {
        match self {
            ParsedToken::AccessToken2(t) => t.app_id(),
            #[cfg(feature = "legacy-006")]
            ParsedToken::Legacy(t) => t.app_id(),
        }
    }

    /// Its format.
    pub fn version(&self) -> TokenVersion {
        match self {
            ParsedToken::AccessToken2(_) => TokenVersion::V007,
            #[cfg(feature = "legacy-006")]
            ParsedToken::Legacy(_) => TokenVersion::V006,
        }
    }

    /// When it expires, unix seconds, if it says (see
    /// [`AccessToken2::expires_at`], and `LegacyAccessToken::expires_at`).
    pub fn expires_at(&self) -> Option<u64> {
        match self {
            ParsedToken::AccessToken2(t) => Some(t.expires_at()),
            #[cfg(feature = "legacy-006")]
            ParsedToken::Legacy(t) => t.expires_at(),
        }
    }
}

/// Parses a token of either format, by its version prefix. Parsing checks
/// the structure only: call `verify`/`validate` on the result.
///
/// Without the `legacy-006` feature a 006 token is an error
/// ([`TokenError::WrongVersion`], saying the feature is needed).
pub fn parse(token: &str) -> Result<ParsedToken, TokenError> {
    match token.get(..3) {
        Some("007") => AccessToken2::parse(token).map(ParsedToken::AccessToken2),
        #[cfg(feature = "legacy-006")]
        Some("006") => LegacyAccessToken::parse(token).map(ParsedToken::Legacy),
        _ => Err(wrong_version(token, PARSED_VERSIONS)),
    }
}

/// The versions [`parse`] accepts, as its error names them.
const PARSED_VERSIONS: &str = if cfg!(feature = "legacy-006") {
    "006 or 007"
} else {
    "007 (006 tokens need the `legacy-006` feature)"
};

pub(crate) fn wrong_version(token: &str, expected: &'static str) -> TokenError {
    TokenError::WrongVersion {
        found: token.chars().take(3).collect(),
        expected,
    }
}

pub(crate) fn check_app_id(expected: &AppId, found: &str) -> Result<(), TokenError> {
    if expected.as_str().eq_ignore_ascii_case(found) {
        Ok(())
    } else {
        Err(TokenError::WrongAppId {
            expected: expected.as_str().to_owned(),
            found: found.to_owned(),
        })
    }
}

pub(crate) fn check_expiry(expires_at: u64, now: u64) -> Result<(), TokenError> {
    if now >= expires_at {
        Err(TokenError::Expired { expires_at, now })
    } else {
        Ok(())
    }
}

pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, Malformed> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| Malformed::Base64 {
            reason: e.to_string(),
        })
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time check of `signature` = HMAC-SHA256(key, parts).
pub(crate) fn hmac_sha256_verify(key: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 006 token of the vendor's test suite (`tests/fixtures/agora-token-vectors.json`).
    const TOKEN_006: &str = "006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW";

    #[test]
    fn parse_names_the_versions_it_accepts() {
        let err = parse("008abc").unwrap_err();
        let TokenError::WrongVersion { found, expected } = err else {
            panic!("{err:?}")
        };
        assert_eq!(found, "008");
        assert_eq!(expected, PARSED_VERSIONS);
    }

    #[cfg(feature = "legacy-006")]
    #[test]
    fn with_the_feature_a_006_token_parses() {
        assert!(matches!(parse(TOKEN_006), Ok(ParsedToken::Legacy(_))));
    }

    #[cfg(not(feature = "legacy-006"))]
    #[test]
    fn without_the_feature_a_006_token_is_refused_with_the_feature_named() {
        let err = parse(TOKEN_006).unwrap_err();
        assert!(err.to_string().contains("`legacy-006` feature"), "{err}");
    }
}

//! Credentials: an app certificate, a ready token, the legacy RTM pair, or your own provider.
//!
//! Secrets never appear in `Debug` output, error messages or traces: every type here that holds
//! one prints `***` instead, and header values are marked sensitive.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use reqwest::header::{HeaderName, HeaderValue};

use crate::token::{AppCertificate, AppId, EducationTokenBuilder, Token, TokenError, unix_now};

/// A boxed error from a credential provider.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`CredentialProvider`] returns.
pub type HeadersFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AuthHeaders, BoxError>> + Send + 'a>>;

/// A source of authentication headers (a vault, a token service...), asked before every attempt.
///
/// Implementations should cache: the client calls [`CredentialProvider::headers`] once per attempt.
pub trait CredentialProvider: Send + Sync {
    /// The headers that authenticate the next request.
    fn headers(&self) -> HeadersFuture<'_>;

    /// Called when the server refused the headers (HTTP 401): drop whatever is cached so that the
    /// next [`CredentialProvider::headers`] fetches or mints new ones, and return `true`; the
    /// client then retries the call once. The default cannot renew and returns `false`.
    fn renew(&self) -> bool {
        false
    }
}

/// Authentication headers, with sensitive values.
#[derive(Clone, Default)]
pub struct AuthHeaders {
    /// Shared, so that handing the same headers to every request copies nothing.
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl AuthHeaders {
    /// `Authorization: agora token=<token>` (an AccessToken2 education app token).
    pub fn agora_token(token: &str) -> Result<Self, BoxError> {
        let mut value = HeaderValue::from_str(&format!("agora token={token}"))
            .map_err(|_| "the token contains characters not allowed in a header")?;
        value.set_sensitive(true);
        Ok(AuthHeaders {
            headers: Arc::new([(reqwest::header::AUTHORIZATION, value)]),
        })
    }

    /// The legacy pair `x-agora-token: <RTM token>` and `x-agora-uid: <uid the token was made for>`.
    pub fn rtm(token: &str, uid: &str) -> Result<Self, BoxError> {
        let mut token = HeaderValue::from_str(token)
            .map_err(|_| "the RTM token contains characters not allowed in a header")?;
        token.set_sensitive(true);
        let uid = HeaderValue::from_str(uid)
            .map_err(|_| "the uid contains characters not allowed in a header")?;
        Ok(AuthHeaders {
            headers: Arc::new([
                (HeaderName::from_static("x-agora-token"), token),
                (HeaderName::from_static("x-agora-uid"), uid),
            ]),
        })
    }

    /// The headers, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(k, v)| (k, v))
    }
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.headers.iter().map(|(k, _)| (k.as_str(), "***")))
            .finish()
    }
}

/// How the client authenticates.
#[derive(Clone)]
pub struct Credentials {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Certificate(AppCertificate),
    AppToken(Arc<AppTokenProvider>),
    Token(AuthHeaders),
    Rtm(AuthHeaders),
    Provider(Arc<dyn CredentialProvider>),
}

impl Credentials {
    /// The app certificate (32 hexadecimal characters, from the Agora console): the client mints
    /// the education app token itself (AccessToken2, see [`crate::token`]) and renews it before
    /// it expires. The recommended credentials for a backend.
    pub fn app_certificate(certificate: impl AsRef<str>) -> Result<Self, TokenError> {
        Ok(Credentials {
            inner: Inner::Certificate(AppCertificate::new(certificate.as_ref())?),
        })
    }

    /// A ready education token (e.g. minted by another service), sent as
    /// `Authorization: agora token=<token>`. It is not renewed.
    pub fn token(token: impl AsRef<str>) -> Result<Self, BoxError> {
        Ok(Credentials {
            inner: Inner::Token(AuthHeaders::agora_token(token.as_ref())?),
        })
    }

    /// The legacy pair: an RTM token and the uid it was made for
    /// (`x-agora-token` and `x-agora-uid`).
    pub fn rtm(token: impl AsRef<str>, uid: impl AsRef<str>) -> Result<Self, BoxError> {
        Ok(Credentials {
            inner: Inner::Rtm(AuthHeaders::rtm(token.as_ref(), uid.as_ref())?),
        })
    }

    /// Your own source of headers.
    pub fn provider(provider: Arc<dyn CredentialProvider>) -> Self {
        Credentials {
            inner: Inner::Provider(provider),
        }
    }

    /// Binds certificate credentials to the client's app id.
    pub(crate) fn bind(self, app_id: &str) -> Result<Self, TokenError> {
        match self.inner {
            Inner::Certificate(cert) => {
                let provider = AppTokenProvider::new(AppId::new(app_id)?, cert);
                Ok(Credentials {
                    inner: Inner::AppToken(Arc::new(provider)),
                })
            }
            other => Ok(Credentials { inner: other }),
        }
    }

    /// The token builder of certificate credentials bound to a client's app id; see
    /// [`crate::Client::token_builder`].
    pub(crate) fn token_builder(&self) -> Option<&EducationTokenBuilder> {
        match &self.inner {
            Inner::AppToken(p) => Some(p.token_builder()),
            _ => None,
        }
    }

    pub(crate) async fn headers(&self) -> Result<AuthHeaders, BoxError> {
        match &self.inner {
            Inner::Token(h) | Inner::Rtm(h) => Ok(h.clone()),
            // Called before every attempt: no boxed future for the built-in provider.
            Inner::AppToken(p) => p.current_headers().map_err(BoxError::from),
            Inner::Provider(p) => p.headers().await,
            Inner::Certificate(_) => {
                Err("certificate credentials are not bound to an app id".into())
            }
        }
    }

    /// After a 401: drops cached credentials; whether new ones may differ (then the client
    /// retries once). A fixed token or RTM pair cannot renew.
    pub(crate) fn renew(&self) -> bool {
        match &self.inner {
            Inner::AppToken(p) => {
                p.invalidate();
                true
            }
            Inner::Provider(p) => p.renew(),
            Inner::Token(_) | Inner::Rtm(_) | Inner::Certificate(_) => false,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::Certificate(_) => "AppCertificate(***)",
            Inner::AppToken(_) => "AppToken(***)",
            Inner::Token(_) => "Token(***)",
            Inner::Rtm(_) => "Rtm(***)",
            Inner::Provider(_) => "Provider",
        };
        write!(f, "Credentials::{kind}")
    }
}

/// Mints the education app token from an app certificate, caches it, and renews it before it
/// expires: a request never carries a token with less than [`AppTokenProvider::renew_before`]
/// seconds left.
pub struct AppTokenProvider {
    builder: EducationTokenBuilder,
    lifetime: u32,
    renew_before: u32,
    /// Read by every request, written once per renewal: a read lock never makes a request wait.
    cached: RwLock<Option<(Token, AuthHeaders)>>,
}

impl AppTokenProvider {
    /// A provider minting tokens valid for one hour, renewed with ten minutes left.
    pub fn new(app_id: AppId, certificate: AppCertificate) -> Self {
        AppTokenProvider {
            builder: EducationTokenBuilder::new(app_id, certificate),
            lifetime: 3600,
            renew_before: 600,
            cached: RwLock::new(None),
        }
    }

    /// Sets the lifetime of minted tokens (seconds, at most 24 hours) and how long before expiry
    /// they are renewed (capped at half the lifetime).
    #[must_use]
    pub fn with_lifetime(mut self, lifetime: u32, renew_before: u32) -> Self {
        self.lifetime = lifetime.clamp(60, 86_400);
        self.renew_before = renew_before.min(self.lifetime / 2);
        self
    }

    /// The builder it mints with, for the other tokens of the same app (the front end's
    /// room-user tokens); it never shows the certificate.
    pub fn token_builder(&self) -> &EducationTokenBuilder {
        &self.builder
    }

    /// Seconds before expiry at which a token is renewed.
    pub fn renew_before(&self) -> u32 {
        self.renew_before
    }

    /// The token to send now: the cached one, or a new one when it is close to expiry.
    pub fn token(&self) -> Result<Token, TokenError> {
        self.token_at(unix_now())
    }

    /// Drops the cached token: the next request carries a newly minted one.
    pub fn invalidate(&self) {
        *self
            .cached
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    fn current_headers(&self) -> Result<AuthHeaders, TokenError> {
        self.with_current(unix_now(), |_, headers| headers.clone())
    }

    fn token_at(&self, now: u64) -> Result<Token, TokenError> {
        self.with_current(now, |token, _| token.clone())
    }

    /// Runs `pick` on the cached token and its headers, renewing them first when close to expiry.
    fn with_current<R>(
        &self,
        now: u64,
        pick: impl Fn(&Token, &AuthHeaders) -> R,
    ) -> Result<R, TokenError> {
        let fresh = |t: &Token| t.expires_at() > now + u64::from(self.renew_before);
        {
            let cached = self
                .cached
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((token, headers)) = cached.as_ref()
                && fresh(token)
            {
                return Ok(pick(token, headers));
            }
        }
        let mut cached = self
            .cached
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Another request may have renewed it while this one waited for the lock.
        if let Some((token, headers)) = cached.as_ref()
            && fresh(token)
        {
            return Ok(pick(token, headers));
        }
        let token = self.builder.app_token(self.lifetime)?;
        // A token is base64 behind a digit prefix: always a valid header value.
        let headers = AuthHeaders::agora_token(token.as_str()).unwrap_or_default();
        let picked = pick(&token, &headers);
        *cached = Some((token, headers));
        Ok(picked)
    }
}

impl CredentialProvider for AppTokenProvider {
    fn headers(&self) -> HeadersFuture<'_> {
        Box::pin(std::future::ready(
            self.current_headers().map_err(BoxError::from),
        ))
    }

    fn renew(&self) -> bool {
        self.invalidate();
        true
    }
}

impl fmt::Debug for AppTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTokenProvider")
            .field("app_id", self.builder.app_id())
            .field("lifetime", &self.lifetime)
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "970ca35de60c44645bbae8a215061b33";
    const CERT: &str = "5cfd2fd1755d40ecb72977518be15d3b";

    #[test]
    fn the_certificate_is_zeroized_on_drop() {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroized_on_drop::<AppCertificate>();
        // Credentials hold the certificate only inside an `AppCertificate`.
        let credentials = Credentials::app_certificate(CERT).unwrap();
        assert!(matches!(credentials.inner, Inner::Certificate(_)));
    }

    #[test]
    fn renews_before_expiry_and_caches_otherwise() {
        let p = AppTokenProvider::new(
            AppId::new(APP_ID).unwrap(),
            AppCertificate::new(CERT).unwrap(),
        )
        .with_lifetime(3600, 600);
        let now = unix_now();
        let first = p.token_at(now).unwrap();
        assert_eq!(
            p.token_at(now + 10).unwrap().as_str(),
            first.as_str(),
            "cached"
        );
        // With less than `renew_before` left, a new token is minted.
        let later = p.token_at(first.expires_at() - 599).unwrap();
        assert_ne!(later.as_str(), first.as_str());
        assert!(later.expires_at() >= first.expires_at());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::app_certificate(CERT).unwrap();
        assert_eq!(format!("{creds:?}"), "Credentials::AppCertificate(***)");
        let bound = creds.bind(APP_ID).unwrap();
        assert!(!format!("{bound:?}").contains(CERT));
        let token = Credentials::token("007secret-token").unwrap();
        assert!(!format!("{token:?}").contains("secret"));
        let rtm = Credentials::rtm("006secret", "uid-1").unwrap();
        assert!(!format!("{rtm:?}").contains("secret"));
        let headers = AuthHeaders::agora_token("007secret").unwrap();
        assert!(!format!("{headers:?}").contains("secret"));
        let p = AppTokenProvider::new(
            AppId::new(APP_ID).unwrap(),
            AppCertificate::new(CERT).unwrap(),
        );
        assert!(!format!("{p:?}").contains(CERT));
    }
}

//! Credentials: an app certificate, a ready token, the legacy RTM pair, or your own provider.
//!
//! Secrets never appear in `Debug` output, error messages or traces: every type here that holds
//! one prints `***` instead, and header values are marked sensitive.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

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
}

/// Authentication headers, with sensitive values.
#[derive(Clone, Default)]
pub struct AuthHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl AuthHeaders {
    /// `Authorization: agora token=<token>` (an AccessToken2 education app token).
    pub fn agora_token(token: &str) -> Result<Self, BoxError> {
        let mut value = HeaderValue::from_str(&format!("agora token={token}"))
            .map_err(|_| "the token contains characters not allowed in a header")?;
        value.set_sensitive(true);
        Ok(AuthHeaders {
            headers: vec![(reqwest::header::AUTHORIZATION, value)],
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
            headers: vec![
                (HeaderName::from_static("x-agora-token"), token),
                (HeaderName::from_static("x-agora-uid"), uid),
            ],
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
    Token(AuthHeaders),
    Rtm(AuthHeaders),
    Provider(Arc<dyn CredentialProvider>),
}

impl Credentials {
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

    pub(crate) async fn headers(&self) -> Result<AuthHeaders, BoxError> {
        match &self.inner {
            Inner::Token(h) | Inner::Rtm(h) => Ok(h.clone()),
            Inner::Provider(p) => p.headers().await,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::Token(_) => "Token(***)",
            Inner::Rtm(_) => "Rtm(***)",
            Inner::Provider(_) => "Provider",
        };
        write!(f, "Credentials::{kind}")
    }
}

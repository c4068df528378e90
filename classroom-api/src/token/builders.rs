//! Builders for the AccessToken2 scopes Flexible Classroom uses.

use md5::{Digest, Md5};

use super::{
    AccessToken2, AppCertificate, AppId, Service, Token, TokenError, TokenParams, check_id,
    privilege,
};
use crate::types::UserRole;

/// Builds Flexible Classroom (APaaS, "education") tokens, as the vendor's
/// `ApaasTokenBuilder` / `EducationTokenBuilder` do.
///
/// Each method has a `*_with` twin taking explicit [`TokenParams`] for
/// reproducible output; the plain one issues the token now with a random
/// salt. `expire` is seconds after the issue time, and is also the value of
/// every privilege.
///
/// | scope | services (in token order) |
/// | --- | --- |
/// | app | APaaS: privilege 3 (app), room `""`, user `""`, role -1 |
/// | user | APaaS: privilege 2 (user), room `""`, user uuid, role -1 |
/// | room-user | RTM: login privilege 1, user id = user uuid; Chat: user privilege 1, user id = md5(user uuid); APaaS: privilege 1 (room user), room uuid, user uuid, role |
#[derive(Debug, Clone)]
pub struct EducationTokenBuilder {
    app_id: AppId,
    certificate: AppCertificate,
}

impl EducationTokenBuilder {
    /// A builder for this app.
    pub fn new(app_id: AppId, certificate: AppCertificate) -> Self {
        Self {
            app_id,
            certificate,
        }
    }

    /// The app id tokens are built for.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// The app token (privilege 3), what the REST API wants, issued now.
    pub fn app_token(&self, expire: u32) -> Result<Token, TokenError> {
        self.app_token_with(TokenParams::now(expire))
    }

    /// The app token with explicit parameters.
    pub fn app_token_with(&self, params: TokenParams) -> Result<Token, TokenError> {
        let apaas = Service::apaas(privilege::APAAS_APP, "", "", -1, params.expire);
        AccessToken2::build(&self.app_id, &self.certificate, params, &[apaas])
    }

    /// A user token (privilege 2), issued now.
    pub fn user_token(&self, user_uuid: &str, expire: u32) -> Result<Token, TokenError> {
        self.user_token_with(user_uuid, TokenParams::now(expire))
    }

    /// A user token with explicit parameters.
    pub fn user_token_with(
        &self,
        user_uuid: &str,
        params: TokenParams,
    ) -> Result<Token, TokenError> {
        check_id("user uuid", user_uuid)?;
        let apaas = Service::apaas(privilege::APAAS_USER, "", user_uuid, -1, params.expire);
        AccessToken2::build(&self.app_id, &self.certificate, params, &[apaas])
    }

    /// A room-user token (privilege 1) for the classroom front end, issued now.
    ///
    /// The role is the crate's [`UserRole`], as everywhere a role goes in; an
    /// [`UserRole::Other`] name (which has no integer) or an integer beyond
    /// `i16` is [`TokenError::InvalidRole`].
    ///
    /// ```no_run
    /// # fn run(builder: &classroom_api::token::EducationTokenBuilder) -> Result<(), classroom_api::token::TokenError> {
    /// use classroom_api::types::UserRole;
    ///
    /// let token = builder.room_user_token("math-101", "student-7", UserRole::Student, 3600)?;
    /// # let _ = token;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A bare integer is not a role:
    ///
    /// ```compile_fail,E0308
    /// # fn run(builder: &classroom_api::token::EducationTokenBuilder) -> Result<(), classroom_api::token::TokenError> {
    /// let token = builder.room_user_token("math-101", "student-7", 2, 3600)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn room_user_token(
        &self,
        room_uuid: &str,
        user_uuid: &str,
        role: UserRole,
        expire: u32,
    ) -> Result<Token, TokenError> {
        self.room_user_token_with(room_uuid, user_uuid, role, TokenParams::now(expire))
    }

    /// A room-user token with explicit parameters.
    ///
    /// Besides the APaaS service it carries, like the vendor's builder, an RTM
    /// login for the user uuid and a Chat user for
    /// [`chat_user_id`](Self::chat_user_id)`(user_uuid)`.
    pub fn room_user_token_with(
        &self,
        room_uuid: &str,
        user_uuid: &str,
        role: UserRole,
        params: TokenParams,
    ) -> Result<Token, TokenError> {
        check_id("room uuid", room_uuid)?;
        check_id("user uuid", user_uuid)?;
        let role = role
            .value()
            .and_then(|v| i16::try_from(v).ok())
            .ok_or(TokenError::InvalidRole(role))?;
        let e = params.expire;
        let services = [
            Service::apaas(privilege::APAAS_ROOM_USER, room_uuid, user_uuid, role, e),
            Service::rtm_login(user_uuid, e),
            Service::chat_user(&Self::chat_user_id(user_uuid), e),
        ];
        AccessToken2::build(&self.app_id, &self.certificate, params, &services)
    }

    /// The chat user id a room-user token carries: the lowercase hex MD5 of
    /// the user uuid's UTF-8 bytes (the vendor's `get_md5`).
    pub fn chat_user_id(user_uuid: &str) -> String {
        let digest = Md5::digest(user_uuid.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Builds RTM login tokens (AccessToken2), as the vendor's
/// `RtmTokenBuilder2.build_token` does: one RTM service, login privilege 1,
/// valued `expire`.
#[derive(Debug, Clone)]
pub struct RtmTokenBuilder {
    app_id: AppId,
    certificate: AppCertificate,
}

impl RtmTokenBuilder {
    /// A builder for this app.
    pub fn new(app_id: AppId, certificate: AppCertificate) -> Self {
        Self {
            app_id,
            certificate,
        }
    }

    /// An RTM token for `user_id`, issued now, valid `expire` seconds.
    pub fn build(&self, user_id: &str, expire: u32) -> Result<Token, TokenError> {
        self.build_with(user_id, TokenParams::now(expire))
    }

    /// An RTM token with explicit parameters.
    pub fn build_with(&self, user_id: &str, params: TokenParams) -> Result<Token, TokenError> {
        check_id("user id", user_id)?;
        let rtm = Service::rtm_login(user_id, params.expire);
        AccessToken2::build(&self.app_id, &self.certificate, params, &[rtm])
    }
}

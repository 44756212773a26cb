//! Completing a sign-in: the identity provider's reply is matched to this browser's pending
//! sign-in, the code redeemed, the ID token validated, the roles mapped, the user and their
//! encrypted tokens stored; the result is the [`SessionUser`] to start the session with, or
//! why not ([`SignInFailure`]).

use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::{
    Access, Auth, CsrfToken, PendingSignIn, SessionUser, SignInError, SignedIn, TokenError,
};
use crate::error::AppError;
use crate::store::User;
use crate::telemetry::untrusted;

/// What the identity provider sends back to the callback.
#[derive(Debug, Deserialize)]
pub struct ProviderReply {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// A completed sign-in: the session's user and where to go.
#[derive(Debug)]
pub struct Completed {
    /// The user to start the session with (a new CSRF token).
    pub user: SessionUser,
    /// The local path the sign-in started from.
    pub return_to: String,
}

/// Why a sign-in did not complete.
#[derive(Debug)]
pub enum SignInFailure {
    /// The reply does not match this browser's pending sign-in (or there is none): ignored,
    /// nothing changed.
    Unmatched,
    /// The person may sign in again (400), coming back to `return_to`.
    Retry {
        /// Where the sign-in started.
        return_to: String,
        /// What they are told.
        message: &'static str,
    },
    /// The person may not use Spendboard (403): the reason, for them.
    NoAccess(String),
    /// The database or the identity provider failed (the error page).
    Unexpected(AppError),
}

impl From<AppError> for SignInFailure {
    fn from(e: AppError) -> Self {
        Self::Unexpected(e)
    }
}

impl From<TokenError> for SignInFailure {
    fn from(e: TokenError) -> Self {
        Self::Unexpected(match e {
            TokenError::Store(e) => e.into(),
            e => AppError::Unexpected(e.into()),
        })
    }
}

impl Auth {
    /// Starts a sign-in that comes back to `return_to` (a local path): the identity
    /// provider's URL to send the browser to, and the pending sign-in to keep until it
    /// returns (state, nonce, PKCE verifier).
    pub fn start_sign_in(&self, return_to: String) -> (url::Url, PendingSignIn) {
        self.oidc.start(return_to)
    }

    /// Completes the sign-in of `reply`, if it matches `pending` (the pending sign-in's
    /// state is compared in constant time); the pending sign-in is used up whatever happens.
    ///
    /// # Errors
    /// [`SignInFailure`].
    pub async fn complete_sign_in(
        &self,
        pending: Option<PendingSignIn>,
        reply: &ProviderReply,
    ) -> Result<Completed, SignInFailure> {
        let Some(pending) = pending.filter(|p| reply.matches(p)) else {
            tracing::info!(
                has_state = reply.state.is_some(),
                error = reply.error.as_deref().map(untrusted),
                "sign-in callback without a matching pending sign-in ignored"
            );
            return Err(SignInFailure::Unmatched);
        };
        let return_to = pending.return_to.clone();
        let retry = |message| SignInFailure::Retry {
            return_to: return_to.clone(),
            message,
        };
        let code = reply.code().map_err(retry)?;
        let signed_in = self
            .oidc
            .finish(code, pending)
            .await
            .map_err(|e| refused(e, retry))?;
        let access = Access::from_roles(&signed_in.roles, &self.roles)
            .ok_or_else(|| without_role(&signed_in))?;
        let user = self.remember(signed_in, access).await?;
        Ok(Completed { user, return_to })
    }

    /// Stores the user and their encrypted tokens; the session's user.
    async fn remember(
        &self,
        signed_in: SignedIn,
        access: Access,
    ) -> Result<SessionUser, SignInFailure> {
        let user = User {
            id: signed_in.user_id,
            tenant_id: signed_in.tenant_id.to_string(),
            name: signed_in.name.clone(),
            email: signed_in.email.clone(),
            roles: signed_in.roles.clone(),
        };
        self.store
            .upsert_user(&user, chrono::Utc::now())
            .await
            .map_err(AppError::from)?;
        self.save_tokens(signed_in.user_id, &signed_in.tokens)
            .await?;
        let now = chrono::Utc::now().timestamp();
        Ok(SessionUser {
            id: signed_in.user_id,
            name: signed_in.name,
            email: signed_in.email,
            access,
            csrf: CsrfToken::generate(),
            signed_in_at: now,
            last_seen: now,
        })
    }
}

impl ProviderReply {
    /// Whether the reply carries the pending sign-in's state.
    fn matches(&self, pending: &PendingSignIn) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())))
    }

    /// The authorization code, or what the person is told.
    fn code(&self) -> Result<String, &'static str> {
        if let Some(error) = &self.error {
            tracing::info!(
                error = %untrusted(error),
                description = self.error_description.as_deref().map(untrusted),
                "the identity provider refused the sign-in"
            );
            return Err(
                "Microsoft sign-in did not complete. Sign in again; if it keeps failing, ask your administrator.",
            );
        }
        self.code
            .clone()
            .ok_or("The sign-in response has no authorization code. Sign in again.")
    }
}

/// A failed code redemption or ID token as the person sees it.
fn refused(error: SignInError, retry: impl Fn(&'static str) -> SignInFailure) -> SignInFailure {
    match error {
        SignInError::OtherTenant(tenant) => {
            tracing::info!(tenant = %untrusted(&tenant), "sign-in from another tenant refused");
            SignInFailure::NoAccess(
                "Your account belongs to another organization. Spendboard is only for the partner's own staff: sign in with your work account of the partner's tenant.".into(),
            )
        }
        e @ (SignInError::Refused(_) | SignInError::InvalidIdToken(_)) => {
            tracing::warn!(error = %untrusted(&e.to_string()), "sign-in failed");
            retry("Sign-in failed. Sign in again; if it keeps failing, ask your administrator.")
        }
        e @ SignInError::Provider(_) => SignInFailure::Unexpected(AppError::Unexpected(
            anyhow::Error::new(e).context("completing sign-in"),
        )),
    }
}

/// The refusal of an account without a Spendboard app role.
fn without_role(signed_in: &SignedIn) -> SignInFailure {
    tracing::info!(user = %signed_in.user_id, "sign-in without a Spendboard app role refused");
    SignInFailure::NoAccess(format!(
        "{}, your account has no Spendboard role. Ask your administrator to assign you the Reader or Budget editor app role of Spendboard in Microsoft Entra ID.",
        signed_in.name
    ))
}

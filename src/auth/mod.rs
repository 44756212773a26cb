//! Sign-in, the signed-in user in the session, roles, CSRF tokens and the delegated Partner
//! Center token of each user.

mod csrf;
mod pending;
mod roles;
mod session;
mod sign_in;
mod tokens;

pub use crate::identity::{
    CookieKey, DecryptError, DelegatedTokens, Keys, OidcClient, PARTNER_CENTER_AUDIENCE,
    PendingSignIn, Renewed, SignInError, SignedIn, TokenCipher,
};
pub use csrf::{CsrfToken, verify_csrf};
pub use pending::{PENDING_TTL_SECONDS, unexpired_pending};
pub use roles::Access;
pub use session::SessionUser;
pub use sign_in::{Completed, ProviderReply, SignInFailure};
pub use tokens::TokenError;

use crate::config::RoleSettings;
use crate::store::Store;

/// Sign-in and each user's delegated tokens, with what they need of the instance and
/// nothing else: starting and completing a sign-in ([`Auth::start_sign_in`],
/// [`Auth::complete_sign_in`]), keeping tokens encrypted ([`Auth::save_tokens`]) and giving
/// a valid one ([`Auth::delegated_token`]).
#[derive(Clone)]
pub struct Auth {
    store: Store,
    oidc: OidcClient,
    cipher: TokenCipher,
    roles: RoleSettings,
    /// This instance, as the holder of token renewal locks.
    instance_id: String,
}

impl Auth {
    /// The service over `store`, signing in and renewing through `oidc`, encrypting tokens
    /// with `cipher`; `roles` maps app roles to Spendboard's rights.
    pub fn new(
        store: Store,
        oidc: OidcClient,
        cipher: TokenCipher,
        roles: RoleSettings,
        instance_id: String,
    ) -> Self {
        Self {
            store,
            oidc,
            cipher,
            roles,
            instance_id,
        }
    }
}

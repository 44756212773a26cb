//! What the identity provider remembers between requests: the registration that the control
//! API may change, the authorization codes and refresh tokens it issued, and the revocation
//! generation. Everything lives in memory and is lost on restart.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;

use super::scopes::Scopes;
use super::users::DemoUser;

/// How long an authorization code may be redeemed after it was issued.
pub(crate) const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// How long an unused refresh token stays valid (Entra ID: 90 days of inactivity).
pub(crate) const REFRESH_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(90);

/// An authorization code waiting to be redeemed at the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub user: &'static DemoUser,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub nonce: String,
    /// The PKCE S256 challenge of the authorize request.
    pub code_challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub user: &'static DemoUser,
    pub client_id: String,
    pub scopes: Scopes,
    pub expires_at: DateTime<Utc>,
}

/// Why a code or refresh token can no longer be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Never issued (or issued before a restart).
    Unknown,
    /// A code redeemed once already, or a refresh token already exchanged (rotation).
    AlreadyUsed,
    /// Past its lifetime.
    Expired,
    /// Revoked through the control API.
    Revoked,
}

enum Entry<T> {
    Live(T),
    Spent(Refusal),
}

/// The mutable state of the identity provider (behind a mutex in `IdentityProvider`).
pub(crate) struct IdentityState {
    /// Registered redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
    /// Lifetime of tokens issued from now on.
    pub access_token_lifetime: Duration,
    /// Incremented by each revocation; tokens of older generations are refused.
    pub generation: u64,
    /// App roles replacing a demo user's own (by lower-case login), set by the control API.
    pub role_overrides: HashMap<String, Vec<String>>,
    codes: HashMap<String, Entry<CodeGrant>>,
    refresh_tokens: HashMap<String, Entry<RefreshGrant>>,
}

impl IdentityState {
    pub(crate) fn new(redirect_uris: Vec<String>, access_token_lifetime: Duration) -> Self {
        Self {
            redirect_uris,
            access_token_lifetime,
            generation: 0,
            role_overrides: HashMap::new(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
        }
    }

    /// Stores a code grant and returns the code to hand to the client.
    pub(crate) fn issue_code(&mut self, grant: CodeGrant) -> String {
        let code = random_token(48);
        self.codes.insert(code.clone(), Entry::Live(grant));
        code
    }

    /// Takes a code for redemption: it can never be redeemed again, whatever happens next.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<CodeGrant, Refusal> {
        redeem(&mut self.codes, code, now, |grant| grant.expires_at)
    }

    /// Stores a refresh grant and returns the refresh token.
    pub(crate) fn issue_refresh_token(&mut self, grant: RefreshGrant) -> String {
        let token = random_token(96);
        self.refresh_tokens
            .insert(token.clone(), Entry::Live(grant));
        token
    }

    /// Takes a refresh token for exchange: refresh tokens rotate, so it stops working now.
    pub(crate) fn redeem_refresh_token(
        &mut self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshGrant, Refusal> {
        redeem(&mut self.refresh_tokens, token, now, |grant| {
            grant.expires_at
        })
    }

    /// Revokes every code, refresh token and access token issued so far. Returns how many
    /// live refresh tokens were revoked.
    pub(crate) fn revoke_all(&mut self) -> usize {
        self.generation += 1;
        let mut revoked = 0;
        for entry in self.refresh_tokens.values_mut() {
            if matches!(entry, Entry::Live(_)) {
                revoked += 1;
                *entry = Entry::Spent(Refusal::Revoked);
            }
        }
        for entry in self.codes.values_mut() {
            if matches!(entry, Entry::Live(_)) {
                *entry = Entry::Spent(Refusal::Revoked);
            }
        }
        revoked
    }
}

/// A random opaque token: `bytes` random bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// Takes the single-use grant under `key`: it is spent from now on, whatever the outcome;
/// refused when unknown, already spent (with the reason it was spent) or expired at `now`.
fn redeem<G>(
    entries: &mut HashMap<String, Entry<G>>,
    key: &str,
    now: DateTime<Utc>,
    expires_at: impl Fn(&G) -> DateTime<Utc>,
) -> Result<G, Refusal> {
    let entry = entries.get_mut(key).ok_or(Refusal::Unknown)?;
    match std::mem::replace(entry, Entry::Spent(Refusal::AlreadyUsed)) {
        Entry::Spent(refusal) => {
            *entry = Entry::Spent(refusal);
            Err(refusal)
        }
        Entry::Live(grant) if expires_at(&grant) <= now => {
            *entry = Entry::Spent(Refusal::Expired);
            Err(Refusal::Expired)
        }
        Entry::Live(grant) => Ok(grant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::scopes::Resource;
    use crate::identity::users::DEMO_USERS;

    fn scopes() -> Scopes {
        Scopes {
            openid: true,
            offline_access: true,
            resource: Resource::PartnerCenter,
        }
    }

    fn code_grant(expires_at: DateTime<Utc>) -> CodeGrant {
        CodeGrant {
            user: &DEMO_USERS[0],
            client_id: "client".into(),
            redirect_uri: "http://localhost/callback".into(),
            scopes: scopes(),
            nonce: "nonce".into(),
            code_challenge: "challenge".into(),
            expires_at,
        }
    }

    #[test]
    fn a_code_redeems_once_then_reports_reuse() {
        let mut state = IdentityState::new(vec![], Duration::from_secs(60));
        let now = Utc::now();
        let code = state.issue_code(code_grant(now + CODE_LIFETIME));
        assert!(state.redeem_code(&code, now).is_ok());
        assert_eq!(
            state.redeem_code(&code, now).err(),
            Some(Refusal::AlreadyUsed)
        );
        assert_eq!(
            state.redeem_code("other", now).err(),
            Some(Refusal::Unknown)
        );
    }

    #[test]
    fn an_expired_code_is_refused_as_expired() {
        let mut state = IdentityState::new(vec![], Duration::from_secs(60));
        let now = Utc::now();
        let code = state.issue_code(code_grant(now));
        assert_eq!(state.redeem_code(&code, now).err(), Some(Refusal::Expired));
    }

    #[test]
    fn revocation_spends_live_refresh_tokens_and_bumps_the_generation() {
        let mut state = IdentityState::new(vec![], Duration::from_secs(60));
        let now = Utc::now();
        let grant = RefreshGrant {
            user: &DEMO_USERS[1],
            client_id: "client".into(),
            scopes: scopes(),
            expires_at: now + REFRESH_TOKEN_LIFETIME,
        };
        let token = state.issue_refresh_token(grant);
        assert_eq!(state.revoke_all(), 1);
        assert_eq!(state.generation, 1);
        assert_eq!(
            state.redeem_refresh_token(&token, now).err(),
            Some(Refusal::Revoked)
        );
    }
}

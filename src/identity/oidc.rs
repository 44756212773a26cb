//! Sign-in with Microsoft Entra ID (or the sandbox's emulation of it, or any standard OpenID
//! Connect provider): authorization code flow with PKCE, `state` and `nonce`, using the
//! `openidconnect` crate over reqwest 0.13 (through `oauth2-reqwest`). With Entra ID the same
//! sign-in yields the delegated (App+User) Partner Center access and refresh tokens.
//!
//! The provider is discovered at its issuer (`{issuer}/.well-known/openid-configuration`) and
//! ID tokens must name exactly that issuer. Entra ID's `tid` claim is checked against the
//! partner's tenant when one is configured; a provider without tenants has no `tid`, and its
//! users are identified by `sub` (see [`SignedIn::user_id`]).

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, Client,
    ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IdTokenClaims, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::domain::UserId;

/// The Partner Center API's audience; its delegated permission is `user_impersonation`.
pub const PARTNER_CENTER_AUDIENCE: &str = "https://api.partnercenter.microsoft.com";

/// The Entra ID claims we read beyond the standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntraClaims {
    /// Tenant id of the signed-in user.
    pub tid: Option<Uuid>,
    /// Object id of the user in that tenant.
    pub oid: Option<UserId>,
    /// App role values assigned to the user.
    #[serde(default)]
    pub roles: Vec<String>,
}
impl AdditionalClaims for EntraClaims {}

type EntraIdTokenFields = IdTokenFields<
    EntraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type EntraTokenResponse = StandardTokenResponse<EntraIdTokenFields, CoreTokenType>;
type EntraClient = Client<
    EntraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    EntraTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What must survive the round trip to the identity provider, kept in an encrypted
/// short-lived cookie (single use: removed at the callback whose `state` matches).
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    /// When the sign-in started (Unix seconds).
    pub issued_at: i64,
    pub nonce: String,
    pub pkce_verifier: String,
    /// A path on our own origin to go back to after sign-in.
    pub return_to: String,
}

/// A verified sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// Entra ID's object id (`oid`); for a provider without `oid`, a name-based UUID (v5) of
    /// the issuer and the `sub` claim, stable across sign-ins.
    pub user_id: UserId,
    /// Entra ID's tenant id (`tid`, lower-case GUID); for a provider without tenants, its
    /// issuer URL.
    pub tenant_id: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub tokens: DelegatedTokens,
}

/// A delegated Partner Center access token with its refresh token; expiry in UTC.
#[derive(Debug, Clone)]
pub struct DelegatedTokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
}

/// Tokens from a refresh, with the app roles of the ID token that came with them (`None`
/// when the identity provider sent no ID token).
#[derive(Debug)]
pub struct Renewed {
    pub tokens: DelegatedTokens,
    pub roles: Option<Vec<String>>,
}

/// Why a sign-in or token refresh did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The user belongs to another tenant than the partner's.
    #[error("the account belongs to another organization (tenant {0})")]
    OtherTenant(String),
    /// The identity provider refused the grant (expired or revoked refresh token, reused code).
    #[error("the identity provider refused: {0}")]
    Refused(String),
    /// The ID token failed validation.
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
    /// Network or protocol failure talking to the identity provider.
    #[error("cannot reach the identity provider: {0}")]
    Provider(String),
}

/// The configured OpenID Connect client.
#[derive(Clone)]
pub struct OidcClient {
    /// Rebuilt (with the provider's current signing keys) when an ID token names a key we
    /// do not know: Entra ID rolls its keys over.
    client: Arc<RwLock<EntraClient>>,
    /// When the provider's keys were last fetched again (not at start).
    refetched_at: Arc<Mutex<Option<Instant>>>,
    http: oauth2_reqwest::ReqwestClient,
    /// The partner's tenant: when set, ID tokens must carry this `tid`.
    tenant_id: Option<Uuid>,
    issuer: IssuerUrl,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: Url,
}

/// At most one re-fetch of the provider's keys in this long, however many ID tokens name an
/// unknown key.
const KEYS_REFETCH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl OidcClient {
    /// Discovers the provider at `authority`, its issuer (its
    /// `.well-known/openid-configuration`), and configures the client for `redirect_uri`.
    /// With `tenant_id`, only ID tokens whose `tid` claim names it are accepted.
    ///
    /// # Errors
    /// When discovery fails or the metadata is invalid (an issuer other than `authority`).
    pub async fn discover(
        authority: &Url,
        tenant_id: Option<Uuid>,
        client_id: &str,
        client_secret: &SecretString,
        redirect_uri: &Url,
    ) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("building the HTTP client for sign-in")?;
        let http = oauth2_reqwest::ReqwestClient::from(http);
        let issuer = IssuerUrl::new(authority.as_str().trim_end_matches('/').to_owned())
            .context("the identity authority URL")?;
        let client = build_client(&http, &issuer, client_id, client_secret, redirect_uri).await?;
        Ok(Self {
            client: Arc::new(RwLock::new(client)),
            refetched_at: Arc::new(Mutex::new(None)),
            http,
            tenant_id,
            issuer,
            client_id: client_id.to_owned(),
            client_secret: client_secret.clone(),
            redirect_uri: redirect_uri.clone(),
        })
    }

    /// The client as last discovered.
    fn client(&self) -> EntraClient {
        self.client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Fetches the provider's metadata and keys again, unless that was done less than
    /// [`KEYS_REFETCH_EVERY`] ago; `true` if the keys were re-fetched.
    async fn refetch_keys(&self) -> bool {
        {
            let mut at = self
                .refetched_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if at.is_some_and(|at| at.elapsed() < KEYS_REFETCH_EVERY) {
                return false;
            }
            *at = Some(Instant::now());
        }
        match build_client(
            &self.http,
            &self.issuer,
            &self.client_id,
            &self.client_secret,
            &self.redirect_uri,
        )
        .await
        {
            Ok(client) => {
                tracing::info!(
                    "an ID token named an unknown signing key: the provider's keys were fetched again"
                );
                *self
                    .client
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = client;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching the provider's keys again failed");
                false
            }
        }
    }

    /// [`OidcClient::signed_in`], fetching the provider's keys again (rate-limited) when
    /// the ID token names a key we do not know.
    async fn verified(
        &self,
        response: &EntraTokenResponse,
        nonce: Option<&Nonce>,
    ) -> Result<SignedIn, SignInError> {
        match self.signed_in(response, nonce) {
            Err(Unverified::UnknownKey) if self.refetch_keys().await => {
                self.signed_in(response, nonce).map_err(SignInError::from)
            }
            other => other.map_err(SignInError::from),
        }
    }

    /// The URL to send the browser to, and what to keep in the session until it returns.
    pub fn start(&self, return_to: String) -> (Url, PendingSignIn) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client()
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("offline_access".into()))
            .add_scope(Scope::new(format!(
                "{PARTNER_CENTER_AUDIENCE}/user_impersonation"
            )))
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingSignIn {
            state: state.secret().clone(),
            issued_at: Utc::now().timestamp(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
        };
        (url, pending)
    }

    /// Redeems the authorization code and validates the ID token (signature from the JWKS,
    /// issuer, audience, expiry, nonce, tenant).
    ///
    /// # Errors
    /// [`SignInError`].
    pub async fn finish(
        &self,
        code: String,
        pending: PendingSignIn,
    ) -> Result<SignedIn, SignInError> {
        let response = self
            .client()
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| SignInError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let nonce = Nonce::new(pending.nonce);
        self.verified(&response, Some(&nonce)).await
    }

    /// Redeems a refresh token for new tokens (the refresh token rotates), and reads the
    /// user's current app roles from the ID token that comes with them (validated as at
    /// sign-in, without a nonce).
    ///
    /// # Errors
    /// [`SignInError::Refused`] when the refresh token is expired or revoked;
    /// [`SignInError::InvalidIdToken`] or [`SignInError::OtherTenant`] for a bad ID token.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Renewed, SignInError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client()
            .exchange_refresh_token(&token)
            .map_err(|e| SignInError::Provider(e.to_string()))?
            .add_scope(Scope::new(format!(
                "{PARTNER_CENTER_AUDIENCE}/user_impersonation"
            )))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let mut tokens = delegated_tokens(&response);
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.clone());
        }
        let roles = match response.id_token() {
            Some(_) => Some(self.verified(&response, None).await?.roles),
            None => None,
        };
        Ok(Renewed { tokens, roles })
    }

    /// The tenant of a token with the `tid` claim: the partner's (another is refused); the
    /// issuer when no tenant is configured and the token has none.
    fn tenant_of(&self, tid: Option<Uuid>) -> Result<String, SignInError> {
        match (self.tenant_id, tid) {
            (Some(partner), Some(tid)) if tid == partner => Ok(tid.to_string()),
            (Some(_), Some(tid)) => Err(SignInError::OtherTenant(tid.to_string())),
            (Some(_), None) => Err(SignInError::InvalidIdToken("no tid claim".into())),
            (None, Some(tid)) => Ok(tid.to_string()),
            (None, None) => Ok(self.issuer.as_str().to_owned()),
        }
    }

    fn signed_in(
        &self,
        response: &EntraTokenResponse,
        nonce: Option<&Nonce>,
    ) -> Result<SignedIn, Unverified> {
        let id_token = response.id_token().ok_or_else(|| {
            SignInError::InvalidIdToken("the token response has no id_token".into())
        })?;
        let client = self.client();
        let verifier = client.id_token_verifier();
        let claims = match nonce {
            Some(nonce) => id_token.claims(&verifier, nonce),
            None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        };
        let claims = claims.map_err(|e| match e {
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            ) => Unverified::UnknownKey,
            ClaimsVerificationError::InvalidIssuer(issuer) => {
                Unverified::Other(SignInError::OtherTenant(issuer))
            }
            other => Unverified::Other(SignInError::InvalidIdToken(other.to_string())),
        })?;
        let extra = claims.additional_claims();
        let tenant_id = self.tenant_of(extra.tid)?;
        let user_id = extra.oid.unwrap_or_else(|| {
            let subject = format!("{}#{}", self.issuer.as_str(), claims.subject().as_str());
            UserId::from(Uuid::new_v5(&Uuid::NAMESPACE_URL, subject.as_bytes()))
        });
        let (name, email) = name_and_email(claims, user_id);
        Ok(SignedIn {
            user_id,
            tenant_id,
            name,
            email,
            roles: extra.roles.clone(),
            tokens: delegated_tokens(response),
        })
    }
}

/// Why an ID token was not accepted: signed with a key we do not know (yet), or otherwise.
enum Unverified {
    UnknownKey,
    Other(SignInError),
}

impl From<SignInError> for Unverified {
    fn from(e: SignInError) -> Self {
        Self::Other(e)
    }
}

impl From<Unverified> for SignInError {
    fn from(e: Unverified) -> Self {
        match e {
            Unverified::UnknownKey => Self::InvalidIdToken(
                "signed with a key the identity provider does not publish".into(),
            ),
            Unverified::Other(e) => e,
        }
    }
}

/// Discovers the provider (its metadata and signing keys) and configures the client.
async fn build_client(
    http: &oauth2_reqwest::ReqwestClient,
    issuer: &IssuerUrl,
    client_id: &str,
    client_secret: &SecretString,
    redirect_uri: &Url,
) -> anyhow::Result<EntraClient> {
    use anyhow::Context as _;
    let metadata = CoreProviderMetadata::discover_async(issuer.clone(), http)
        .await
        .with_context(|| format!("discovering the OpenID provider at {}", issuer.as_str()))?;
    Ok(EntraClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        Some(ClientSecret::new(client_secret.expose_secret().to_owned())),
    )
    .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone())))
}

fn delegated_tokens(response: &EntraTokenResponse) -> DelegatedTokens {
    let lifetime = response
        .expires_in()
        .and_then(|d| Duration::from_std(d).ok())
        .unwrap_or_else(|| Duration::hours(1));
    DelegatedTokens {
        access_token: SecretString::from(response.access_token().secret().as_str()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().as_str())),
        expires_at: Utc::now() + lifetime,
    }
}

fn token_error<RE: std::error::Error + 'static>(
    error: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> SignInError {
    match error {
        RequestTokenError::ServerResponse(response) => SignInError::Refused(
            response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string()),
        ),
        other => SignInError::Provider(other.to_string()),
    }
}

/// The display name (else the sign-in name, else the user id) and the sign-in name of
/// `claims`.
fn name_and_email(
    claims: &IdTokenClaims<EntraClaims, CoreGenderClaim>,
    user_id: UserId,
) -> (String, Option<String>) {
    let email = claims
        .preferred_username()
        .map(|u| u.to_string())
        .or_else(|| claims.email().map(|e| e.to_string()));
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string())
        .or_else(|| email.clone())
        .unwrap_or_else(|| user_id.to_string());
    (name, email)
}

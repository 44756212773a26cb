//! Verifying the bearer tokens presented to the Partner Center routes.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use uuid::Uuid;

use super::IdentityProvider;
use super::claims::{AccessTokenClaims, PARTNER_CENTER_AUDIENCE, access_token_issuer};
use super::users::KNOWN_TENANTS;

/// The caller of a Partner Center route, from a verified bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the token was issued in (`tid`): the partner tenant, or another tenant
    /// for a user of another directory.
    pub tenant_id: Uuid,
    /// The user's object id (`oid`); `None` for app-only tokens.
    pub object_id: Option<Uuid>,
    /// True for a client-credentials (app-only) token (`idtyp` "app").
    pub app_only: bool,
}

/// Why a bearer token was refused. Every variant means 401 for Partner Center routes.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// No `Authorization` header, or an empty one.
    #[error("no bearer token")]
    Missing,
    /// The token's `exp` has passed.
    #[error("the bearer token has expired")]
    Expired,
    /// Anything else: not a bearer token, bad signature, wrong audience or issuer, revoked.
    #[error("invalid bearer token: {0}")]
    Invalid(String),
}

impl IdentityProvider {
    /// Verifies the raw `Authorization` header value (`Bearer eyJ...`) of a Partner Center
    /// request: RS256 signature by this provider's key, audience
    /// `https://api.partnercenter.microsoft.com`, issuer of a known tenant, `exp`/`nbf` (no
    /// leeway) and revocation.
    pub fn verify_bearer(&self, authorization: Option<&str>) -> Result<Caller, BearerError> {
        let header = authorization
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or(BearerError::Missing)?;
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                BearerError::Invalid("the Authorization header is not 'Bearer <token>'".into())
            })?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_audience(&[PARTNER_CENTER_AUDIENCE]);
        let issuers: Vec<String> = KNOWN_TENANTS
            .iter()
            .chain(std::iter::once(&self.tenant_id))
            .map(access_token_issuer)
            .collect();
        validation.set_issuer(&issuers);
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss"]);

        let kid = jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|header| header.kid);
        let key = self
            .all_keys()
            .into_iter()
            .find(|key| Some(key.kid()) == kid.as_deref())
            .unwrap_or_else(|| self.key());
        let claims =
            jsonwebtoken::decode::<AccessTokenClaims>(token, key.decoding_key(), &validation)
                .map_err(|error| match error.kind() {
                    ErrorKind::ExpiredSignature => BearerError::Expired,
                    _ => BearerError::Invalid(error.to_string()),
                })?
                .claims;

        if claims.sandbox_generation < self.state().generation {
            return Err(BearerError::Invalid("the token has been revoked".into()));
        }
        let tenant_id = Uuid::parse_str(&claims.tid)
            .map_err(|_| BearerError::Invalid("the tid claim is not a GUID".into()))?;
        let app_only = claims.idtyp == "app";
        let object_id = if app_only {
            None
        } else {
            let oid = Uuid::parse_str(&claims.oid)
                .map_err(|_| BearerError::Invalid("the oid claim is not a GUID".into()))?;
            Some(oid)
        };
        Ok(Caller {
            tenant_id,
            object_id,
            app_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::identity::IdentitySettings;
    use crate::identity::issue::UserGrant;
    use crate::identity::scopes::{Resource, Scopes};
    use crate::identity::users::{DEMO_USERS, OTHER_TENANT_ID, PARTNER_TENANT_ID};

    fn provider() -> IdentityProvider {
        let base = Url::parse("http://127.0.0.1:8081").expect("a URL");
        IdentityProvider::new(IdentitySettings::demo(base)).expect("a provider")
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    fn user_token(provider: &IdentityProvider, user: usize, resource: Resource) -> String {
        let grant = UserGrant {
            user: &DEMO_USERS[user],
            client_id: "3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f",
            scopes: Scopes {
                openid: true,
                offline_access: false,
                resource,
            },
            nonce: Some("nonce"),
        };
        provider
            .issue_user_tokens(&grant)
            .expect("tokens")
            .access_token
    }

    /// Claims of a delegated token of Adele, valid for a minute.
    fn claims() -> AccessTokenClaims {
        let now = chrono::Utc::now().timestamp();
        AccessTokenClaims {
            aud: PARTNER_CENTER_AUDIENCE.into(),
            iss: access_token_issuer(&PARTNER_TENANT_ID),
            iat: now,
            nbf: now,
            exp: now + 60,
            amr: None,
            appid: "app".into(),
            appidacr: "1".into(),
            idtyp: "user".into(),
            name: None,
            oid: DEMO_USERS[0].object_id.to_string(),
            roles: None,
            scp: Some("user_impersonation".into()),
            sub: "sub".into(),
            tid: PARTNER_TENANT_ID.to_string(),
            unique_name: None,
            upn: None,
            uti: "uti".into(),
            ver: "1.0".into(),
            sandbox_generation: 0,
        }
    }

    #[test]
    fn a_delegated_token_names_the_user_and_tenant() {
        let provider = provider();
        let token = user_token(&provider, 1, Resource::PartnerCenter);
        let caller = provider
            .verify_bearer(Some(&bearer(&token)))
            .expect("valid");
        assert_eq!(
            caller,
            Caller {
                tenant_id: PARTNER_TENANT_ID,
                object_id: Some(DEMO_USERS[1].object_id),
                app_only: false,
            }
        );
        let scheme_in_capitals = format!("BEARER {token}");
        assert!(provider.verify_bearer(Some(&scheme_in_capitals)).is_ok());
    }

    #[test]
    fn a_token_of_the_other_tenants_user_carries_that_tenant() {
        let provider = provider();
        let token = user_token(&provider, 3, Resource::PartnerCenter);
        let caller = provider
            .verify_bearer(Some(&bearer(&token)))
            .expect("valid");
        assert_eq!(caller.tenant_id, OTHER_TENANT_ID);
    }

    #[test]
    fn an_app_only_token_has_no_user() {
        let provider = provider();
        let token = provider
            .issue_app_token("app")
            .expect("a token")
            .access_token;
        let caller = provider
            .verify_bearer(Some(&bearer(&token)))
            .expect("valid");
        assert!(caller.app_only);
        assert_eq!(caller.object_id, None);
        assert_eq!(caller.tenant_id, PARTNER_TENANT_ID);
    }

    #[test]
    fn a_missing_or_empty_header_is_missing_and_another_scheme_is_invalid() {
        let provider = provider();
        assert!(matches!(
            provider.verify_bearer(None),
            Err(BearerError::Missing)
        ));
        assert!(matches!(
            provider.verify_bearer(Some("  ")),
            Err(BearerError::Missing)
        ));
        assert!(matches!(
            provider.verify_bearer(Some("Basic abc")),
            Err(BearerError::Invalid(_))
        ));
        assert!(matches!(
            provider.verify_bearer(Some("Bearer ")),
            Err(BearerError::Invalid(_))
        ));
        assert!(matches!(
            provider.verify_bearer(Some("Bearer a.b.c")),
            Err(BearerError::Invalid(_))
        ));
    }

    #[test]
    fn an_expired_token_is_reported_as_expired() {
        let provider = provider();
        let mut expired = claims();
        expired.exp = chrono::Utc::now().timestamp() - 1;
        let token = provider.key().sign(&expired).expect("signed");
        assert!(matches!(
            provider.verify_bearer(Some(&bearer(&token))),
            Err(BearerError::Expired)
        ));
    }

    #[test]
    fn tokens_for_another_audience_or_issuer_or_key_are_invalid() {
        let provider = provider();
        let graph = user_token(&provider, 0, Resource::Graph);
        assert!(matches!(
            provider.verify_bearer(Some(&bearer(&graph))),
            Err(BearerError::Invalid(_))
        ));

        let mut foreign = claims();
        foreign.iss = "https://sts.windows.net/11111111-2222-4333-8444-555555555555/".into();
        let token = provider.key().sign(&foreign).expect("signed");
        assert!(matches!(
            provider.verify_bearer(Some(&bearer(&token))),
            Err(BearerError::Invalid(_))
        ));

        let other_key = provider_token_of_another_instance();
        assert!(matches!(
            provider.verify_bearer(Some(&bearer(&other_key))),
            Err(BearerError::Invalid(_))
        ));
    }

    fn provider_token_of_another_instance() -> String {
        let other = provider();
        other.key().sign(&claims()).expect("signed")
    }

    #[test]
    fn revocation_invalidates_tokens_issued_before_it_only() {
        let provider = provider();
        let before = user_token(&provider, 0, Resource::PartnerCenter);
        provider.state().revoke_all();
        let after = user_token(&provider, 0, Resource::PartnerCenter);
        assert!(matches!(
            provider.verify_bearer(Some(&bearer(&before))),
            Err(BearerError::Invalid(_))
        ));
        assert!(provider.verify_bearer(Some(&bearer(&after))).is_ok());
    }
}

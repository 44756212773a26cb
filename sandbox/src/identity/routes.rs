//! Every path the identity provider serves, in one place.

/// OpenID Connect discovery document of a tenant.
pub(crate) const DISCOVERY: &str = "/{tenant}/v2.0/.well-known/openid-configuration";
/// The JWKS of a tenant.
pub(crate) const KEYS: &str = "/{tenant}/discovery/v2.0/keys";
/// The authorize endpoint (GET shows the sign-in page, POST signs in).
pub(crate) const AUTHORIZE: &str = "/{tenant}/oauth2/v2.0/authorize";
/// The token endpoint.
pub(crate) const TOKEN: &str = "/{tenant}/oauth2/v2.0/token";
/// The end-session (sign-out) endpoint.
pub(crate) const LOGOUT: &str = "/{tenant}/oauth2/v2.0/logout";
/// Control: revoke every token issued so far.
pub(crate) const CONTROL_REVOKE: &str = "/_sandbox/identity/revoke";
/// Control: set the lifetime of tokens issued from now on.
pub(crate) const CONTROL_TOKEN_LIFETIME: &str = "/_sandbox/identity/token-lifetime";
/// Control: register one more redirect URI.
pub(crate) const CONTROL_REDIRECT_URIS: &str = "/_sandbox/identity/redirect-uris";
/// `PUT`: replaces a demo user's app roles in ID tokens issued from now on.
pub(crate) const CONTROL_ROLES: &str = "/_sandbox/identity/roles";
/// `POST`: signs tokens with a new key from now on (the old one stays published).
pub(crate) const CONTROL_ROTATE_KEYS: &str = "/_sandbox/identity/rotate-keys";

/// The absolute URL of a tenant endpoint: `route` with `{tenant}` filled in, under `base`.
pub(crate) fn tenant_url(base: &str, route: &str, tenant: &uuid::Uuid) -> String {
    format!("{base}{}", route.replace("{tenant}", &tenant.to_string()))
}

//! Parsing the `scope` parameter: OpenID Connect scopes plus at most one resource.

use super::claims::{GRAPH_AUDIENCE, PARTNER_CENTER_AUDIENCE};

/// The resource an access token is issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// Partner Center, delegated permission `user_impersonation`.
    PartnerCenter,
    /// Microsoft Graph, what Entra ID issues when no resource scope was asked for.
    Graph,
}

impl Resource {
    /// The `aud` claim of access tokens for this resource.
    pub(crate) fn audience(self) -> &'static str {
        match self {
            Resource::PartnerCenter => PARTNER_CENTER_AUDIENCE,
            Resource::Graph => GRAPH_AUDIENCE,
        }
    }

    /// The `scp` claim of delegated access tokens for this resource.
    pub(crate) fn delegated_scp(self) -> &'static str {
        match self {
            Resource::PartnerCenter => "user_impersonation",
            Resource::Graph => "openid profile email User.Read",
        }
    }

    /// The `scope` field of the token response: the granted scopes.
    pub(crate) fn granted_scope(self) -> &'static str {
        match self {
            Resource::PartnerCenter => "https://api.partnercenter.microsoft.com/user_impersonation",
            Resource::Graph => "openid profile email User.Read",
        }
    }
}

/// The scopes of a delegated (user) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scopes {
    /// `openid` was asked for: an ID token is returned.
    pub openid: bool,
    /// `offline_access` was asked for: a refresh token is returned.
    pub offline_access: bool,
    /// The resource of the access token.
    pub resource: Resource,
}

/// The only scope the client-credentials grant accepts.
pub(crate) const PARTNER_CENTER_DEFAULT_SCOPE: &str =
    "https://api.partnercenter.microsoft.com/.default";

/// Why a `scope` value was refused; the text is an Entra ID error description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeError(pub String);

impl Scopes {
    /// Parses a space-separated `scope` value of a delegated request.
    ///
    /// Accepts `openid`, `profile`, `email`, `offline_access` and the Partner Center scopes
    /// `https://api.partnercenter.microsoft.com/user_impersonation` or `/.default`. Any other
    /// scope is refused (the sandbox emulates no other resource).
    pub(crate) fn parse(scope: &str) -> Result<Self, ScopeError> {
        let mut scopes = Scopes {
            openid: false,
            offline_access: false,
            resource: Resource::Graph,
        };
        for item in scope.split_whitespace() {
            match item {
                "openid" => scopes.openid = true,
                "offline_access" => scopes.offline_access = true,
                "profile" | "email" => {}
                _ if is_partner_center_scope(item) => scopes.resource = Resource::PartnerCenter,
                other => {
                    return Err(ScopeError(format!(
                        "The provided value for the input parameter 'scope' is not valid. \
                         The scope '{other}' is not known to the sandbox; use \
                         'https://api.partnercenter.microsoft.com/user_impersonation'."
                    )));
                }
            }
        }
        Ok(scopes)
    }
}

fn is_partner_center_scope(item: &str) -> bool {
    item.strip_prefix(PARTNER_CENTER_AUDIENCE)
        .is_some_and(|permission| matches!(permission, "/user_impersonation" | "/.default"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_sign_in_scope_asks_for_partner_center_with_id_and_refresh_tokens() {
        let scopes = Scopes::parse(
            "openid profile offline_access https://api.partnercenter.microsoft.com/user_impersonation",
        );
        assert_eq!(
            scopes,
            Ok(Scopes {
                openid: true,
                offline_access: true,
                resource: Resource::PartnerCenter
            })
        );
    }

    #[test]
    fn a_scope_without_a_resource_gets_a_graph_token_and_no_refresh_token() {
        let scopes = Scopes::parse("openid profile");
        assert_eq!(
            scopes,
            Ok(Scopes {
                openid: true,
                offline_access: false,
                resource: Resource::Graph
            })
        );
    }

    #[test]
    fn an_unknown_resource_scope_is_refused() {
        assert!(Scopes::parse("openid https://management.azure.com/user_impersonation").is_err());
        assert!(Scopes::parse("https://api.partnercenter.microsoft.com/other").is_err());
    }
}

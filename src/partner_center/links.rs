//! Links, resource attributes and collections, the envelope every Partner Center response
//! shares (docs/partner-center.md §1.4).

use serde::Deserialize;
use url::Url;

use super::wire::null_as_empty;

/// `attributes` on every resource: its `objectType` and, for some resources, an `etag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    /// E.g. `Customer`, `CustomerMonthlyUsageRecord`, `Collection`.
    #[serde(default)]
    pub object_type: Option<String>,
    /// Concurrency tag, present only on resources that have one (e.g. `Subscription`).
    #[serde(default)]
    pub etag: Option<String>,
}

/// One header to send when following a [`Link`], serialised by Partner Center as a .NET
/// `KeyValuePair` (`{"key": .., "value": ..}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkHeader {
    /// Header name, e.g. `MS-ContinuationToken`.
    pub key: String,
    /// Header value, sent verbatim.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub value: String,
}

/// A link to a related resource or page: `{"uri", "method", "headers"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// Relative URI in one of three forms (`/customers/..`, `customers/..`, `/v1/customers/..`),
    /// resolved under the API root by the client.
    pub uri: String,
    /// HTTP method, e.g. `GET`.
    #[serde(default)]
    pub method: Option<String>,
    /// Headers to add when following the link (for a next page, `MS-ContinuationToken`).
    #[serde(default)]
    pub headers: Vec<LinkHeader>,
}

/// `links` of a resource or collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Links {
    /// The resource itself.
    #[serde(rename = "self")]
    pub self_link: Option<Link>,
    /// The next page of a collection; absent on the last page.
    pub next: Option<Link>,
    /// The previous page of a collection.
    pub previous: Option<Link>,
    /// A subscription's offer.
    pub offer: Option<Link>,
}

/// One page of a Partner Center collection:
/// `{"totalCount", "items", "links", "continuationToken"?, "attributes"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceCollection<T> {
    /// Number of items **in this page** as the server states it (samples may disagree with
    /// `items`; use `items.len()`).
    #[serde(default)]
    pub total_count: Option<u64>,
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// `self`, and `next` when more pages exist.
    #[serde(default)]
    pub links: Links,
    /// Seek-based collections' token for the next page (sent as `MS-ContinuationToken`).
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// `{"objectType": "Collection"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A link or route that would leave the API root once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidLink;

/// Resolves a route or link URI under the API root (the configured base URL's `/v1/`).
///
/// Partner Center writes link URIs as `/customers/..`, `customers/..` or `/v1/customers/..`;
/// all three resolve to `<base>/v1/customers/..`. An absolute URI keeps only its path and
/// query. Whatever the input (e.g. `\\host\path`, which a URL parser reads as
/// `//host/path`, or `../`), the result must have the API root's origin and lie under its
/// path, or it is refused: a link never sends the token anywhere else.
pub(crate) fn resolve(api_root: &Url, uri: &str) -> Result<Url, InvalidLink> {
    let relative = match Url::parse(uri) {
        Ok(absolute) if absolute.has_host() => {
            let mut path = absolute.path().to_owned();
            if let Some(query) = absolute.query() {
                path.push('?');
                path.push_str(query);
            }
            path
        }
        _ => uri.trim().to_owned(),
    };
    let mut rest = relative.trim_start_matches('/');
    if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("v1/") {
        rest = &rest[3..];
    } else if rest.eq_ignore_ascii_case("v1") {
        rest = "";
    }
    let url = api_root.join(rest).map_err(|_| InvalidLink)?;
    if url.origin() != api_root.origin()
        || !url.path().starts_with(api_root.path())
        || url.username() != api_root.username()
        || url.password() != api_root.password()
    {
        return Err(InvalidLink);
    }
    Ok(url)
}

/// The API root `<base>/v1/` of a base URL such as `https://api.partnercenter.microsoft.com`
/// or `http://127.0.0.1:8080/pc` (a path prefix is kept).
pub(crate) fn api_root(base_url: &Url) -> Result<Url, url::ParseError> {
    let mut base = base_url.clone();
    base.set_query(None);
    base.set_fragment(None);
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join("v1/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Url {
        api_root(&Url::parse("https://api.partnercenter.microsoft.com").unwrap()).unwrap()
    }

    #[test]
    fn the_three_link_forms_resolve_to_the_same_url() {
        let expected = "https://api.partnercenter.microsoft.com/v1/customers/abc/usagesummary";
        for uri in [
            "/customers/abc/usagesummary",
            "customers/abc/usagesummary",
            "/v1/customers/abc/usagesummary",
            "v1/customers/abc/usagesummary",
        ] {
            assert_eq!(resolve(&root(), uri).unwrap().as_str(), expected, "{uri}");
        }
    }

    #[test]
    fn queries_are_kept_and_odd_uris_do_not_fail() {
        assert_eq!(
            resolve(&root(), "customers?seekOperation=Next")
                .unwrap()
                .as_str(),
            "https://api.partnercenter.microsoft.com/v1/customers?seekOperation=Next"
        );
        let doubled = resolve(&root(), "/invoices/1/lineitems?size=2?seekOperation=Next").unwrap();
        assert_eq!(doubled.path(), "/v1/invoices/1/lineitems");
        assert_eq!(doubled.query(), Some("size=2?seekOperation=Next"));
    }

    #[test]
    fn absolute_links_stay_on_the_configured_host() {
        let url = resolve(&root(), "https://elsewhere.example/v1/customers?size=40").unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.partnercenter.microsoft.com/v1/customers?size=40"
        );
    }

    #[test]
    fn links_that_would_leave_the_api_root_are_refused() {
        for uri in [
            "\\\\evil.example\\v1\\customers",
            "\\\\evil.example/v1/customers",
            "/\\evil.example/v1/customers",
            "//evil.example/v1/customers",
            "../customers",
            "/v1/../../customers",
            "%2e%2e/%2e%2e/customers",
            "http:evil.example/v1/customers",
        ] {
            let resolved = resolve(&root(), uri);
            assert!(
                resolved.as_ref().is_err_and(|e| *e == InvalidLink)
                    || resolved
                        .as_ref()
                        .is_ok_and(|u| u.host_str() == Some("api.partnercenter.microsoft.com")
                            && u.path().starts_with("/v1/")),
                "{uri}: {resolved:?}"
            );
        }
        assert_eq!(
            resolve(&root(), "\\\\evil.example\\v1\\customers"),
            Err(InvalidLink)
        );
    }

    #[test]
    fn a_base_url_path_prefix_is_kept() {
        let root = api_root(&Url::parse("http://127.0.0.1:8080/pc").unwrap()).unwrap();
        assert_eq!(root.as_str(), "http://127.0.0.1:8080/pc/v1/");
        assert_eq!(
            resolve(&root, "/v1/customers").unwrap().as_str(),
            "http://127.0.0.1:8080/pc/v1/customers"
        );
        let plain = api_root(&Url::parse("http://127.0.0.1:8080/").unwrap()).unwrap();
        assert_eq!(plain.as_str(), "http://127.0.0.1:8080/v1/");
    }
}

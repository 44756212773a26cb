//! One canonical address: a request for another host than `server.public_url` (e.g.
//! `127.0.0.1` instead of `localhost`, or a load balancer's own name) is redirected there
//! before anything else, so that sign-in, its callback and the session cookie all belong to
//! one origin. `X-Forwarded-Host` and `X-Forwarded-Proto` are believed only from the
//! addresses in `server.trusted_proxies`.

use std::net::IpAddr;

use actix_web::HttpResponse;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HOST, LOCATION};
use url::Url;

use crate::paths;

/// Paths answered on any address: probes and scrapers use the instance's own address.
fn exempt(path: &str) -> bool {
    path == paths::HEALTH || path.starts_with("/health/") || path == paths::METRICS
}

/// The `host[:port]` of `url` as a `Host` header carries it (no default port).
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The first value of a forwarded header, trimmed and lower-cased.
fn forwarded(request: &ServiceRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

/// The redirect to `public_url` for a request that came for another address; `None` when it
/// came for the canonical one (or for a probe).
pub fn redirect(
    request: &ServiceRequest,
    public_url: &Url,
    trusted_proxies: &[IpAddr],
) -> Option<HttpResponse> {
    if exempt(request.path()) {
        return None;
    }
    let from_proxy = request
        .peer_addr()
        .is_some_and(|peer| trusted_proxies.contains(&peer.ip()));
    let host = requested_host(request, from_proxy);
    let scheme = from_proxy
        .then(|| forwarded(request, "x-forwarded-proto"))
        .flatten();
    let same_scheme = scheme.is_none_or(|s| s == public_url.scheme());
    if is_canonical_host(&host, public_url) && same_scheme {
        return None;
    }
    let location = canonical_location(request, public_url);
    tracing::debug!(%host, %location, "redirected to the canonical address");
    Some(
        HttpResponse::PermanentRedirect()
            .insert_header((LOCATION, location))
            .finish(),
    )
}

/// The host the request came for, lower-cased: a trusted proxy's `X-Forwarded-Host`, else
/// the `Host` header.
fn requested_host(request: &ServiceRequest, from_proxy: bool) -> String {
    from_proxy
        .then(|| forwarded(request, "x-forwarded-host"))
        .flatten()
        .or_else(|| {
            request
                .headers()
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_ascii_lowercase)
        })
        .unwrap_or_default()
}

/// Whether `host` is `public_url`'s (a default port may be written out).
fn is_canonical_host(host: &str, public_url: &Url) -> bool {
    let canonical_host = authority(public_url).to_ascii_lowercase();
    host == canonical_host
        || public_url.port().is_none()
            && public_url
                .port_or_known_default()
                .is_some_and(|port| host == format!("{canonical_host}:{port}"))
}

/// The request's path and query on `public_url`.
fn canonical_location(request: &ServiceRequest, public_url: &Url) -> String {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut location = public_url.clone();
    location.set_path("");
    format!("{}{}", location.as_str().trim_end_matches('/'), target)
}

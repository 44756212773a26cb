//! Logs: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as JSON lines when
//! `log.format = "json"` (or `SPENDBOARD_LOG=json`), for log shippers, and human-readable
//! otherwise. Each request's log lines carry its `request_id`, which is also sent to Partner
//! Center as `MS-CorrelationId`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once, as JSON lines when `json`; later calls do nothing.
pub fn init_with(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json || std::env::var("SPENDBOARD_LOG").as_deref() == Ok("json") {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

/// As [`init_with`], the format from `SPENDBOARD_LOG` alone.
pub fn init() {
    init_with(false);
}

/// An untrusted string (a query parameter, a message from another party) as it may go into a
/// log field: control characters escaped (so a newline cannot forge a log line), at most 300
/// characters.
pub fn untrusted(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 300 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Query parameters whose values never go to the logs: OAuth codes, states and tokens.
const SECRET_PARAMETERS: &[&str] = &[
    "code",
    "state",
    "session_state",
    "id_token",
    "access_token",
    "refresh_token",
    "code_verifier",
    "client_secret",
];

/// `path?query` as logged: the values of `SECRET_PARAMETERS` replaced by `[redacted]`.
pub fn redacted_target(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let name: String = url::form_urlencoded::parse(raw_name.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
            if SECRET_PARAMETERS
                .iter()
                .any(|s| name.eq_ignore_ascii_case(s))
            {
                format!("{raw_name}=[redacted]")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_states_are_redacted_from_logged_urls() {
        assert_eq!(
            redacted_target("/auth/callback?code=0.AAA-secret&state=xyz&session_state=s"),
            "/auth/callback?code=[redacted]&state=[redacted]&session_state=[redacted]"
        );
        assert_eq!(
            redacted_target("/?q=contoso&sort=name"),
            "/?q=contoso&sort=name"
        );
        assert_eq!(redacted_target("/health"), "/health");
        assert_eq!(
            redacted_target("/x?c%6Fde=1&flag"),
            "/x?c%6Fde=[redacted]&flag"
        );
    }

    #[test]
    fn untrusted_text_cannot_forge_a_log_line() {
        assert_eq!(
            untrusted("access_denied\nINFO signed in as admin"),
            "access_denied\\nINFO signed in as admin"
        );
        assert_eq!(untrusted(&"x".repeat(400)).chars().count(), 301);
    }
}

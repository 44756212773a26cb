//! Client authentication at the token endpoint: `client_secret_basic` (HTTP Basic, the
//! oauth2 crate's default) or `client_secret_post` (form fields).

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use aws_lc_rs::constant_time::verify_slices_are_equal;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::IdentityProvider;
use super::errors::OAuthError;

/// The client credentials a token request presented.
struct Presented {
    client_id: String,
    client_secret: Option<String>,
}

impl IdentityProvider {
    /// Authenticates the client of a token request and returns its client id.
    ///
    /// Errors: `invalid_request` for a malformed Basic header or a client id that differs
    /// between header and body, `invalid_client` (401) for an unknown client, a missing
    /// secret or a wrong one.
    pub(crate) fn authenticate_client(
        &self,
        request: &HttpRequest,
        form_client_id: Option<&str>,
        form_client_secret: Option<&str>,
    ) -> Result<String, OAuthError> {
        let presented = match basic_credentials(request)? {
            Some(basic) => {
                if form_client_id.is_some_and(|id| id != basic.client_id) {
                    return Err(OAuthError::invalid_request(
                        900023,
                        "The client_id in the request body differs from the one in the Authorization header.",
                    ));
                }
                basic
            }
            None => Presented {
                client_id: form_client_id
                    .ok_or_else(|| OAuthError::missing_parameter("client_id"))?
                    .to_owned(),
                client_secret: form_client_secret.map(str::to_owned),
            },
        };
        if presented.client_id != self.client_id {
            return Err(OAuthError::invalid_client(
                700016,
                format!(
                    "Application with identifier '{}' was not found in the directory '{}'.",
                    presented.client_id, self.tenant_id
                ),
            ));
        }
        let secret = presented.client_secret.ok_or_else(|| {
            OAuthError::invalid_client(
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        })?;
        verify_slices_are_equal(secret.as_bytes(), self.client_secret.as_bytes()).map_err(|_| {
            OAuthError::invalid_client(
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{}'.",
                    self.client_id
                ),
            )
        })?;
        Ok(presented.client_id)
    }
}

/// Reads `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 2.3.1).
/// `Ok(None)` when the request has no Basic header.
fn basic_credentials(request: &HttpRequest) -> Result<Option<Presented>, OAuthError> {
    let Some(header) = request.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || OAuthError::invalid_request(900023, "The Basic Authorization header is malformed.");
    let value = header.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some(Presented {
        client_id: form_decode(id),
        client_secret: Some(form_decode(secret)),
    }))
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
/// A `%` not followed by two hex digits is kept as it is.
fn form_decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, escaped) {
            (_, Some(value)) => {
                decoded.push(value);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (other, None) => {
                decoded.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::form_decode;

    #[test]
    fn form_decoding_turns_percent_escapes_and_plus_into_characters() {
        assert_eq!(form_decode("sandbox-demo-secret"), "sandbox-demo-secret");
        assert_eq!(form_decode("a%3Ab+c%25"), "a:b c%");
        assert_eq!(form_decode(""), "");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("a=b~c"), "a=b~c");
    }
}

//! Who may call a Partner Center route: extractors that verify the bearer token through the
//! identity provider and apply docs/partner-center.md §14.3 (App+User-only routes refuse app-only tokens)
//! and the partner-tenant check.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::identity::{BearerError, Caller, IdentityProvider};
use crate::state::SandboxState;
use crate::wire::fault::ApiError;

/// A caller with an app-only or a delegated (App+User) token of the partner tenant.
#[derive(Debug)]
pub struct AnyCaller;

/// A caller with a delegated (App+User) token of the partner tenant.
#[derive(Debug)]
pub struct DelegatedCaller;

fn verify(req: &HttpRequest) -> Result<Caller, ApiError> {
    let (Some(identity), Some(state)) = (
        req.app_data::<web::Data<IdentityProvider>>(),
        req.app_data::<web::Data<SandboxState>>(),
    ) else {
        return Err(ApiError::TokenRejected(
            "the sandbox has no identity provider".into(),
        ));
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let caller = identity
        .verify_bearer(authorization)
        .map_err(|err| match err {
            BearerError::Missing => ApiError::TokenMissing,
            BearerError::Expired => ApiError::TokenRejected("the token has expired".into()),
            BearerError::Invalid(reason) => ApiError::TokenRejected(reason),
        })?;
    if caller.tenant_id != state.partner_tenant() {
        return Err(ApiError::WrongTenant);
    }
    Ok(caller)
}

impl FromRequest for AnyCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verify(req).map(|_| AnyCaller))
    }
}

impl FromRequest for DelegatedCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verify(req).and_then(|caller| {
            if caller.app_only {
                Err(ApiError::AppOnly)
            } else {
                Ok(DelegatedCaller)
            }
        }))
    }
}

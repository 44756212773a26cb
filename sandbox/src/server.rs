//! Starting and stopping a sandbox: one actix-web server with the identity provider, the
//! Partner Center routes and the control API behind the gateway middleware.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
use anyhow::Context;
use url::Url;
use uuid::Uuid;

use crate::clock::SandboxClock;
use crate::data::Dataset;
use crate::gateway::gateway;
use crate::identity::{DemoUser, IdentityProvider, IdentitySettings};
use crate::options::SandboxOptions;
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::{control, identity, routes};

/// A sandbox serving in the background on the current tokio runtime.
pub struct RunningSandbox {
    /// The base URL, e.g. `http://127.0.0.1:43117` (Partner Center routes live under `/v1`).
    pub base_url: Url,
    /// The partner's tenant id (the issuer's and the tokens' `tid`).
    pub tenant_id: Uuid,
    /// The demo application's client id.
    pub client_id: String,
    /// The demo application's client secret.
    pub client_secret: String,
    /// The control API's token, if it requires one ([`SandboxOptions::control_token`]).
    pub control_token: Option<String>,
    identity: web::Data<IdentityProvider>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("base_url", &self.base_url.as_str())
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// The OpenID Connect issuer: `{base_url}/{tenant_id}/v2.0`.
    pub fn issuer(&self) -> Url {
        self.identity.issuer()
    }

    /// The demo users listed on the sign-in page.
    pub fn demo_users(&self) -> &[DemoUser] {
        self.identity.demo_users()
    }

    /// What a person needs to use the sandbox: its addresses, the demo application's
    /// credentials and the demo users, one item a line (printed by the binaries on start).
    pub fn describe(&self) -> String {
        let mut text = format!(
            "Partner Center sandbox at {base}\n  Partner Center API: {base}v1\n  issuer:             {issuer}\n  partner tenant:     {tenant}\n  client id:          {client}\n  client secret:      {secret}\n  demo users:\n",
            base = self.base_url,
            issuer = self.issuer(),
            tenant = self.tenant_id,
            client = self.client_id,
            secret = self.client_secret,
        );
        for user in self.demo_users() {
            text.push_str(&format!(
                "    {} <{}> {:?}: {}\n",
                user.name, user.preferred_username, user.roles, user.description
            ));
        }
        text.push_str(&format!(
            "  control API:        {}_sandbox/ (faults, throttle, requests, clock, reset)",
            self.base_url
        ));
        text
    }

    /// Stops the server gracefully and waits for it to end.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        // The server's own result after a requested stop carries nothing actionable.
        let _ = self.task.await;
    }
}

/// Starts a sandbox on `listener` (bound by the caller; port 0 works) and returns at once; the
/// server runs on the current tokio runtime until [`RunningSandbox::stop`].
///
/// Errors if the listener's address cannot be read or the server cannot start on it.
pub async fn start(
    listener: TcpListener,
    options: SandboxOptions,
) -> anyhow::Result<RunningSandbox> {
    let address = listener
        .local_addr()
        .context("reading the listener's address")?;
    let host = if address.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        address.ip().to_string()
    };
    let base_url = Url::parse(&format!("http://{host}:{}", address.port()))
        .context("building the base URL")?;
    let mut settings = IdentitySettings::demo(base_url.clone());
    settings.redirect_uris = options.redirect_uris.clone();
    settings.access_token_lifetime = options.access_token_lifetime;
    let tenant_id = settings.tenant_id;
    let client_id = settings.client_id.clone();
    let client_secret = settings.client_secret.clone();
    let identity =
        web::Data::new(IdentityProvider::new(settings).context("starting the identity provider")?);

    let clock = SandboxClock::starting_at(options.now);
    let today = clock.today();
    let (seed, customers) = (options.seed, options.customers);
    let (data, book) =
        tokio::task::spawn_blocking(move || Dataset::generate(seed, customers, tenant_id, today))
            .await
            .context("generating the sandbox data")?;
    let state = web::Data::new(SandboxState::new(
        data,
        book,
        clock,
        options.throttle,
        options.rate_card_meters,
    ));

    let app_identity = identity.clone();
    let control_token = control::guard::ControlToken(options.control_token.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(app_identity.clone())
            .app_data(web::Data::new(control_token.clone()))
            .wrap(from_fn(gateway))
            .wrap(from_fn(control::guard::require_json))
            .configure(routes::configure)
            .configure(identity::configure)
            .configure(control::configure)
            .default_service(web::to(not_found))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .context("serving on the listener")?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(RunningSandbox {
        control_token: options.control_token,
        base_url,
        tenant_id,
        client_id,
        client_secret,
        identity,
        handle,
        task,
    })
}

async fn not_found() -> HttpResponse {
    ApiError::Injected {
        status: actix_web::http::StatusCode::NOT_FOUND,
        code: 1000,
        description: "Not found: no such route".into(),
    }
    .error_response()
}

//! Building and running the application: `Application::build(settings)` binds the listener
//! (port 0 works), starts the in-process sandbox in demo mode, connects and migrates the
//! database, discovers the identity provider, and returns a server ready to run.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use base64::Engine as _;
use partner_center_sandbox::{RunningSandbox, SandboxOptions};
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::TracingLogger;
use url::Url;
use uuid::Uuid;

use crate::auth::{Auth, Keys, OidcClient};
use crate::budgets::Budgets;
use crate::bulk::BulkChanges;
use crate::config::{IdentitySettings, Settings};
use crate::partner_center::{ClientSettings, PartnerCenterClient};
use crate::periodic::{FirstRound, spawn_every};
use crate::prices::RateCards;
use crate::refresh::Refresher;
use crate::routes::request_log::RedactingRootSpan;
use crate::routes::session_store::DbSessionStore;
use crate::state::AppState;
use crate::store::{DashboardCache, InstanceMode, OwnershipCache, Store};
use crate::{paths, routes};

/// The Partner Center and identity endpoints in use: Microsoft's, or the sandbox's.
struct Endpoints {
    identity: IdentitySettings,
    partner_center_base: Url,
    /// Running in-process in demo mode.
    pub sandbox: Option<RunningSandbox>,
}

/// A built application, listening, not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    sandbox: Option<RunningSandbox>,
}

impl Application {
    /// Binds `settings.server.host:port` and builds everything.
    ///
    /// # Errors
    /// When the port is taken, the database cannot be opened or migrated, or the identity
    /// provider cannot be discovered; the message says which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host, settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        Self::build_on(listener, settings).await
    }

    /// Builds everything on a listener the caller bound (tests bind port 0 first, so that
    /// the redirect URI is known before the identity provider starts); `settings.server`'s
    /// host and port are not used.
    ///
    /// # Errors
    /// As [`Application::build`].
    pub async fn build_on(listener: TcpListener, settings: Settings) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let (state, sandbox) = state_for(settings, port).await?;
        let state = web::Data::new(state);
        let every = state.settings.refresh.background_every_seconds;
        if every > 0 {
            state.refresher.spawn_schedule(Duration::from_secs(every));
            state
                .rate_cards
                .clone()
                .spawn_schedule(RATE_CARD_CHECK_EVERY);
        }
        state.budgets.spawn_reconciler(Duration::from_secs(
            state.settings.budgets.reconcile_every_seconds,
        ));
        crate::alerts::Delivery::new(
            state.store.clone(),
            crate::alerts::Sender::from_settings(&state.settings.alerts)?,
            &state.instance_id,
        )
        .spawn(Duration::from_secs(
            state.settings.alerts.deliver_every_seconds,
        ));
        crate::alerts::Digests::new(
            state.store.clone(),
            &state.settings.alerts,
            state.public_url.clone(),
        )
        .spawn(DIGEST_CHECK_EVERY);
        state.bulk.spawn_resumer(Duration::from_secs(
            state.settings.budgets.bulk_resume_every_seconds,
        ));
        spawn_session_purge(state.store.clone(), SESSION_PURGE_EVERY);
        let server = serve(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
            sandbox,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (for tests and the CLI).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The in-process sandbox, in demo mode.
    pub fn sandbox(&self) -> Option<&RunningSandbox> {
        self.sandbox.as_ref()
    }

    /// Serves until the server is stopped (Ctrl-C).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _sandbox = self.sandbox;
        self.server.await
    }
}

/// How often expired sessions are deleted.
const SESSION_PURGE_EVERY: Duration = Duration::from_secs(15 * 60);

/// How often `serve` looks for daily digests whose hour has come.
const DIGEST_CHECK_EVERY: Duration = Duration::from_secs(5 * 60);
/// How often `serve` checks whether the rate cards are older than a day (and reads them).
const RATE_CARD_CHECK_EVERY: Duration = Duration::from_secs(60 * 60);

/// Deletes expired sessions now and then every `every` (they are already ignored when
/// loaded; this keeps the table from growing).
fn spawn_session_purge(store: Store, every: Duration) {
    spawn_every(every, FirstRound::Now, store, |store| async move {
        match store.delete_expired_sessions().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired sessions deleted"),
            Err(e) => tracing::warn!(error = %e, "deleting expired sessions failed"),
        }
    });
}

/// Where the alerts of customers without owners go in demo mode, unless configured.
pub const DEMO_ALERT_ADDRESS: &str = "partner-alerts@northwindcsp.example";

/// Everything but the listener for an instance reached on `port` (unless `public_url` is
/// set): the endpoints (starting the sandbox in demo mode), the store, sign-in and the
/// Partner Center client.
///
/// # Errors
/// As [`Application::build`].
pub async fn state_for(
    settings: Settings,
    port: u16,
) -> anyhow::Result<(AppState, Option<RunningSandbox>)> {
    settings.validate()?;
    let mut settings = settings;
    if settings.is_demo() {
        // So that a newcomer sees the demo's alerts arrive (kept, on the Alerts page).
        settings
            .alerts
            .partner_address
            .get_or_insert_with(|| DEMO_ALERT_ADDRESS.to_owned());
    }
    let public_url = match &settings.server.public_url {
        Some(url) => url.clone(),
        None => Url::parse(&format!("http://localhost:{port}"))?,
    };
    let redirect_uri = public_url.join(crate::paths::AUTH_CALLBACK)?;
    let store = open_store(&settings).await?;
    let endpoints = endpoints(&settings, &redirect_uri, port).await?;
    if endpoints.sandbox.is_some() {
        tracing::warn!(
            "DEMO MODE: no [identity] is configured, so the in-process Partner Center sandbox stands in for Microsoft; every page shows invented data"
        );
    }
    let state = build_state(
        settings,
        store,
        endpoints.identity,
        endpoints.partner_center_base,
        public_url,
        redirect_uri,
    )
    .await?;
    Ok((state, endpoints.sandbox))
}

/// Resolves Microsoft's endpoints from the settings, or starts the sandbox (demo mode) and
/// uses its endpoints.
///
/// # Errors
/// When the sandbox cannot start.
async fn endpoints(
    settings: &Settings,
    redirect_uri: &Url,
    port: u16,
) -> anyhow::Result<Endpoints> {
    if let Some(identity) = &settings.identity {
        return Ok(Endpoints {
            identity: identity.clone(),
            partner_center_base: settings.partner_center.base_url.clone(),
            sandbox: None,
        });
    }
    let listener = TcpListener::bind(("127.0.0.1", settings.sandbox.port))
        .context("binding the sandbox's port")?;
    let mut redirect_uris = vec![redirect_uri.to_string()];
    for host in ["localhost", "127.0.0.1"] {
        redirect_uris.push(format!(
            "http://{host}:{port}{}",
            crate::paths::AUTH_CALLBACK
        ));
    }
    let sandbox = partner_center_sandbox::start(
        listener,
        SandboxOptions {
            seed: settings.sandbox.seed,
            customers: settings.sandbox.customers,
            redirect_uris,
            // Only this process (and whoever reads the start-up message) drives the sandbox.
            control_token: Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()),
            ),
            ..SandboxOptions::default()
        },
    )
    .await
    .context("starting the in-process Partner Center sandbox")?;
    Ok(Endpoints {
        identity: IdentitySettings {
            authority: sandbox.issuer(),
            tenant_id: Some(sandbox.tenant_id),
            client_id: sandbox.client_id.clone(),
            client_secret: SecretString::from(sandbox.client_secret.clone()),
        },
        partner_center_base: sandbox.base_url.clone(),
        sandbox: Some(sandbox),
    })
}

/// Connects the database, checks that it belongs to this kind of run (demo or not), migrates
/// it and records the kind on first start. Nothing is written to a database that belongs to
/// the other kind.
///
/// # Errors
/// When the database cannot be opened or migrated, or belongs to the other kind of run; the
/// message says what to do.
async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect_with(
        settings.database.url.expose_secret(),
        settings.database.max_connections,
        Duration::from_secs(settings.database.acquire_timeout_seconds),
    )
    .await
    .context("opening the database (database.url)")?;
    let demo = settings.is_demo();
    match store.recorded_mode().await? {
        Some(InstanceMode::Production) if demo => anyhow::bail!(
            "the database (database.url) belongs to a Spendboard signed in with Microsoft Entra ID, and demo mode never touches it: configure [identity], or point database.url at another database for the demo"
        ),
        Some(InstanceMode::Demo) if !demo && !settings.database.adopt_demo_database => {
            anyhow::bail!(
                "the database (database.url) was created by demo mode and holds the sandbox's invented data: point database.url at a fresh database, or set database.adopt_demo_database = true to keep using it"
            )
        }
        None if demo => {
            let tenant = partner_center_sandbox::identity::users::PARTNER_TENANT_ID.to_string();
            let strangers = store.users_outside_tenant(&tenant).await?;
            anyhow::ensure!(
                strangers == 0,
                "the database (database.url) holds data of a run signed in with Microsoft Entra ID ({strangers} users of another tenant than the sandbox's), and demo mode never touches it: configure [identity], or point database.url at another database for the demo"
            );
        }
        _ => {}
    }
    store.migrate().await.context("migrating the database")?;
    store
        .record_mode(if demo {
            InstanceMode::Demo
        } else {
            InstanceMode::Production
        })
        .await
        .context("recording the database's mode")?;
    Ok(store)
}

/// Discovers the identity provider and builds the shared state.
///
/// # Errors
/// When any of these fails.
async fn build_state(
    settings: Settings,
    store: Store,
    identity: IdentitySettings,
    partner_center_base: Url,
    public_url: Url,
    redirect_uri: Url,
) -> anyhow::Result<AppState> {
    let keys = match &settings.security.secret_key {
        Some(secret) => Keys::from_secret(
            &base64::engine::general_purpose::STANDARD.decode(secret.expose_secret().trim())?,
        )?,
        None => Keys::random()?,
    };
    let oidc = OidcClient::discover(
        &identity.authority,
        identity.tenant_id,
        &identity.client_id,
        &identity.client_secret,
        &redirect_uri,
    )
    .await
    .context("setting up sign-in (identity.authority)")?;
    let pc = &settings.partner_center;
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let partner_center = PartnerCenterClient::new(ClientSettings {
        metrics: Some(metrics.clone()),
        timeout: Duration::from_secs(pc.timeout_seconds),
        max_concurrent_calls: pc.max_concurrent_calls,
        max_retries: pc.max_retries,
        max_retry_after: Duration::from_secs(pc.max_retry_after_seconds),
        ..ClientSettings::new(partner_center_base)
    })
    .context("building the Partner Center client")?;
    let instance_id = Uuid::new_v4().to_string();
    let auth = Auth::new(
        store.clone(),
        oidc,
        keys.tokens,
        settings.roles.clone(),
        instance_id.clone(),
    );
    let refresher = Refresher::new(
        store.clone(),
        partner_center.clone(),
        auth.clone(),
        crate::alerts::Evaluator::new(store.clone(), &settings.alerts, public_url.clone()),
        metrics.clone(),
        instance_id.clone(),
        &settings,
    );
    let rate_cards = RateCards::new(store.clone(), partner_center.clone(), refresher.clone());
    let budgets = Budgets::new(
        store.clone(),
        partner_center.clone(),
        auth.clone(),
        settings.budgets.clone(),
        &settings.partner_center,
        instance_id.clone(),
        metrics.clone(),
    );
    let bulk = BulkChanges::new(
        store.clone(),
        budgets.clone(),
        auth.clone(),
        settings.budgets.clone(),
        instance_id.clone(),
    );
    Ok(AppState {
        settings,
        store,
        cookie_key: keys.session_cookie,
        auth,
        refresher,
        rate_cards,
        budgets,
        bulk,
        public_url,
        instance_id,
        outage: Arc::default(),
        metrics,
        dashboard: DashboardCache::default(),
        ownership: OwnershipCache::default(),
    })
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let secure_cookies = state.secure_cookies();
    let cookie_key = Key::from(state.cookie_key.as_bytes());
    let idle = actix_web::cookie::time::Duration::minutes(i64::from(
        state.settings.security.session_idle_minutes,
    ));
    let session_store = Arc::new(state.store.clone());
    let hsts = state.settings.security.hsts_max_age_seconds;
    let hsts =
        (state.public_url.scheme() == "https" && hsts > 0).then(|| format!("max-age={hsts}"));
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(DbSessionStore::new((*session_store).clone()), cookie_key.clone())
            .cookie_name("spendboard_session".into())
            .cookie_secure(secure_cookies)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(BrowserSession::default().state_ttl(idle))
            .build();
        let mut headers = DefaultHeaders::new()
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "same-origin"))
            .add(("Cache-Control", "no-store"))
            .add((
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ));
        if let Some(hsts) = &hsts {
            headers = headers.add(("Strict-Transport-Security", hsts.clone()));
        }
        App::new()
            .wrap(ErrorHandlers::new().default_handler(routes::errors::render_error_page))
            .wrap(sessions)
            .wrap_fn(|mut request, service| {
                use actix_web::dev::Service as _;
                // Static files are answered without the session: their requests reach the
                // session middleware without cookies, so a stylesheet never reads the
                // database (and still loads during an outage, styling its page).
                if request.path().starts_with(paths::STATIC_PREFIX) {
                    request.headers_mut().remove(actix_web::http::header::COOKIE);
                }
                service.call(request)
            })
            .wrap_fn(|request, service| {
                use actix_web::HttpMessage as _;
                use actix_web::dev::Service as _;
                let state = request.app_data::<web::Data<AppState>>().cloned();
                let request_id = request
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let response = service.call(request);
                async move {
                    response.await.map_err(|error| {
                        routes::errors::session_store_failure(state.as_ref(), request_id, &error)
                    })
                }
            })
            .wrap_fn(|request, service| {
                use actix_web::dev::Service as _;
                type Answer = std::pin::Pin<
                    Box<
                        dyn Future<
                            Output = Result<
                                actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
                                actix_web::Error,
                            >,
                        >,
                    >,
                >;
                let redirect = request.app_data::<web::Data<AppState>>().and_then(|state| {
                    routes::canonical::redirect(
                        &request,
                        &state.public_url,
                        &state.settings.server.trusted_proxies,
                    )
                });
                let answer: Answer = match redirect {
                    Some(response) => {
                        let response = request.into_response(response).map_into_boxed_body();
                        Box::pin(async move { Ok(response) })
                    }
                    None => {
                        let response = service.call(request);
                        Box::pin(async move { response.await.map(|r| r.map_into_boxed_body()) })
                    }
                };
                answer
            })
            .wrap(headers)
            .wrap_fn(|request, service| {
                use actix_web::HttpMessage as _;
                use actix_web::dev::Service as _;
                let started = std::time::Instant::now();
                let state = request.app_data::<web::Data<AppState>>().cloned();
                let method = request.method().to_string();
                let request_id = request
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(|id| **id);
                let response = service.call(request);
                async move {
                    let result = match request_id {
                        Some(id) => crate::partner_center::with_correlation_id(id, response).await,
                        None => response.await,
                    };
                    if let Some(state) = state {
                        let (route, status) = match &result {
                            Ok(response) => (
                                response
                                    .request()
                                    .match_pattern()
                                    .unwrap_or_else(|| "unmatched".into()),
                                response.status(),
                            ),
                            Err(error) => (
                                "unknown".into(),
                                error.as_response_error().status_code(),
                            ),
                        };
                        state.metrics.http_request(
                            &method,
                            &route,
                            status.as_u16(),
                            started.elapsed(),
                        );
                    }
                    result
                }
            })
            .wrap(TracingLogger::<RedactingRootSpan>::new())
            .app_data(state.clone())
            .configure(routes::configure)
    })
    .listen(listener)?
    .run();
    Ok(server)
}

//! The Partner Center REST client: one method per documented route, with the headers,
//! retries, throttling, paging and concurrency bound of docs/partner-center.md §1.
//!
//! Identifiers sent on every request:
//! - `MS-RequestId`: a new GUID per HTTP request (each page of a collection is its own
//!   request), reused on every retry of that request, as Partner Center's idempotency rules ask.
//! - `MS-CorrelationId`: a new GUID per method call, shared by all its pages and retries, so
//!   one logical operation can be traced through Partner Center's logs.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;
use uuid::Uuid;

use super::error::{ErrorBody, PartnerCenterError};
use super::links::{ResourceCollection, api_root, resolve};
use super::models::{
    AzureRateCard, AzureUtilizationRecord, Customer, CustomerMonthlyUsageRecord,
    CustomerUsageSummary, Granularity, MeterUsageRecord, PartnerUsageSummary, ResourceUsageRecord,
    SpendingBudget, Subscription, SubscriptionMonthlyUsageRecord, SubscriptionUsageSummary,
};
use crate::domain::{CustomerId, SubscriptionId};

const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
const MS_CONTRACT_VERSION: HeaderName = HeaderName::from_static("ms-contract-version");
const MS_CONTINUATION_TOKEN: HeaderName = HeaderName::from_static("ms-continuationtoken");
const MS_APPLICATION: HeaderName = HeaderName::from_static("ms-partnercenter-application");
const X_LOCALE: HeaderName = HeaderName::from_static("x-locale");

/// Sent as `MS-PartnerCenter-Application`.
const APPLICATION_NAME: &str = "Spendboard";

tokio::task_local! {
    /// The id of the request being served, sent as `MS-CorrelationId` by the calls made for it.
    static CORRELATION_ID: Uuid;
}

/// Runs `work` with `id` as the `MS-CorrelationId` of every Partner Center call it makes (the
/// request id of the HTTP request being served, so one id traces a page through our logs and
/// Partner Center's). Calls outside such a scope get a new id per call.
pub async fn with_correlation_id<F: Future>(id: Uuid, work: F) -> F::Output {
    CORRELATION_ID.scope(id, work).await
}

/// A collection read leniently: the items that could be read, and those set aside.
#[derive(Debug, Clone)]
pub struct Collected<T> {
    /// The items read, in the server's order.
    pub items: Vec<T>,
    /// The items that could not be read.
    pub unreadable: Vec<UnreadableItem>,
}

impl<T: DeserializeOwned> Collected<T> {
    /// Reads one item of a page (`request_id`'s answer to `route`) into `items`; one that
    /// cannot be read is set aside in `unreadable` when `lenient`.
    ///
    /// # Errors
    /// [`PartnerCenterError::Decode`] for an item that cannot be read, unless `lenient`.
    fn read(
        &mut self,
        raw: &RawValue,
        route: &'static str,
        request_id: Uuid,
        lenient: bool,
    ) -> Result<(), PartnerCenterError> {
        match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => self.items.push(item),
            Err(source) if lenient => {
                let position = self.items.len() + self.unreadable.len();
                tracing::warn!(route, %request_id, position, error = %source, "unreadable Partner Center record set aside");
                self.unreadable.push(UnreadableItem {
                    route,
                    request_id,
                    position,
                    error: source.to_string(),
                });
            }
            Err(source) => {
                return Err(PartnerCenterError::Decode {
                    route,
                    request_id,
                    source,
                });
            }
        }
        Ok(())
    }
}

/// An item of a collection that could not be read (kept aside, logged and counted).
#[derive(Debug, Clone)]
pub struct UnreadableItem {
    /// The documented route, e.g. `GET /v1/customers/usagerecords`.
    pub route: &'static str,
    /// The `MS-RequestId` of the page it was on.
    pub request_id: Uuid,
    /// Its position in the collection (0-based, over all pages).
    pub position: usize,
    /// What was wrong with it.
    pub error: String,
}

/// A delegated (App+User) or app-only Partner Center access token. Never logged: its
/// `Debug` output is redacted.
#[derive(Debug, Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps the bearer token issued by Entra ID for the Partner Center audience.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }
}

impl From<SecretString> for AccessToken {
    fn from(token: SecretString) -> Self {
        Self(token)
    }
}

/// How the client talks to Partner Center.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Base URL without the version, e.g. `https://api.partnercenter.microsoft.com` (or the
    /// sandbox's address). Routes resolve under its `/v1/`.
    pub base_url: Url,
    /// Limit for one HTTP attempt, connection to last body byte (Partner Center's SDK: 3 min).
    pub timeout: Duration,
    /// At most this many requests in flight at once across all clones of the client.
    pub max_concurrent_calls: usize,
    /// Retries after the first attempt for 5xx, transport failures, 429 and utilization 204.
    pub max_retries: usize,
    /// Wait before the first retry; doubles each retry (with jitter).
    pub retry_base_delay: Duration,
    /// Upper bound on one wait asked for by `Retry-After` (429, utilization 204).
    pub max_retry_after: Duration,
    /// `size` of each page of `GET /v1/customers`.
    pub customer_page_size: u32,
    /// Where calls, retries and throttling waits are counted.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl ClientSettings {
    /// Partner Center's own defaults for `base_url`: 3-minute timeout, 3 retries from 0.5 s,
    /// 8 concurrent calls, `Retry-After` honoured up to 60 s, 100 customers per page.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            timeout: Duration::from_secs(180),
            max_concurrent_calls: 8,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            customer_page_size: 100,
            metrics: None,
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// The base URL cannot carry paths (e.g. `mailto:`).
    #[error("the Partner Center base URL {0} cannot be used")]
    InvalidBaseUrl(Url),
    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client")]
    Http(#[from] reqwest::Error),
}

/// The result of a budget change: the budget Partner Center now holds, and the
/// `MS-RequestId` of the PATCH (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetUpdate {
    /// The budget as Partner Center returned it.
    pub budget: SpendingBudget,
    /// The `MS-RequestId` the PATCH was sent with (the same on its retries).
    pub request_id: Uuid,
}

/// A Partner Center client. Cheap to clone; clones share the connection pool and the bound
/// on concurrent calls.
#[derive(Debug, Clone)]
pub struct PartnerCenterClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    api_root: Url,
    settings: ClientSettings,
    permits: Semaphore,
}

/// One HTTP request as the retry loop sends it.
#[derive(Clone)]
struct Call<'a> {
    route: &'static str,
    method: Method,
    url: Url,
    token: &'a AccessToken,
    correlation_id: Uuid,
    extra_headers: HeaderMap,
    body: Option<String>,
    /// Utilization: 204 means "not ready, retry after `Retry-After`".
    no_content_means_retry: bool,
    /// A write: retried only when it provably did not reach Partner Center.
    write: bool,
    /// The `MS-RequestId` to send; a new one per request when `None`.
    request_id: Option<Uuid>,
}

/// Why one attempt failed, before deciding whether to retry.
enum Attempt {
    Status {
        status: StatusCode,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    NotReady {
        retry_after: Option<Duration>,
    },
    Transport(reqwest::Error),
}

impl Attempt {
    /// Whether a write may be sent again: only when it cannot have reached Partner Center
    /// (no connection was made, or 429: the gateway refused it before the service saw it).
    fn is_retryable_write(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == StatusCode::TOO_MANY_REQUESTS,
            Self::Transport(error) => error.is_connect(),
            Self::NotReady { .. } => false,
        }
    }

    fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
            Self::NotReady { .. } => true,
            Self::Transport(error) => !error.is_builder(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } | Self::NotReady { retry_after } => *retry_after,
            Self::Transport(_) => None,
        }
    }

    fn into_error(self, request_id: Uuid) -> PartnerCenterError {
        match self {
            Self::Transport(source) => PartnerCenterError::Transport { request_id, source },
            Self::NotReady { retry_after } => PartnerCenterError::NotReady {
                retry_after,
                request_id,
            },
            Self::Status {
                status,
                body,
                retry_after,
            } => {
                let fault = ErrorBody::parse(&body);
                match status {
                    StatusCode::UNAUTHORIZED => {
                        PartnerCenterError::Unauthorized { fault, request_id }
                    }
                    StatusCode::FORBIDDEN => PartnerCenterError::Forbidden { fault, request_id },
                    StatusCode::NOT_FOUND => PartnerCenterError::NotFound { fault, request_id },
                    StatusCode::BAD_REQUEST => PartnerCenterError::BadRequest { fault, request_id },
                    StatusCode::TOO_MANY_REQUESTS => PartnerCenterError::Throttled {
                        retry_after,
                        fault,
                        request_id,
                    },
                    s if s.is_server_error() => PartnerCenterError::Service {
                        status,
                        fault,
                        request_id,
                    },
                    _ => PartnerCenterError::Rejected {
                        status,
                        fault,
                        request_id,
                    },
                }
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Status { status, .. } => status.to_string(),
            Self::NotReady { .. } => "204 data not ready".to_owned(),
            Self::Transport(e) => e.to_string(),
        }
    }
}

/// Reads `Retry-After` as delta seconds (integer or fractional) or an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = DateTime::parse_from_rfc2822(text).ok()?;
    (at.with_timezone(&Utc) - Utc::now())
        .to_std()
        .ok()
        .or(Some(Duration::ZERO))
}

impl PartnerCenterClient {
    /// Builds a client: no redirects followed, `settings.timeout` per attempt.
    ///
    /// # Errors
    /// [`ClientBuildError`] when the base URL cannot carry paths or TLS cannot be set up.
    pub fn new(settings: ClientSettings) -> Result<Self, ClientBuildError> {
        let api_root = api_root(&settings.base_url)
            .ok()
            .filter(|root| !root.cannot_be_a_base())
            .ok_or_else(|| ClientBuildError::InvalidBaseUrl(settings.base_url.clone()))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("spendboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let permits = Semaphore::new(settings.max_concurrent_calls.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api_root,
                settings,
                permits,
            }),
        })
    }

    /// The partner's usage summary for the billing period.
    /// Route: `GET /v1/usagesummary` (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all)]
    pub async fn partner_usage_summary(
        &self,
        token: &AccessToken,
    ) -> Result<PartnerUsageSummary, PartnerCenterError> {
        self.get_one(token, "GET /v1/usagesummary", "usagesummary")
            .await
    }

    /// Every customer's spend and budget for the billing period, following `links.next` if
    /// the server ever pages it. Route: `GET /v1/customers/usagerecords` (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all)]
    pub async fn customer_usage_records(
        &self,
        token: &AccessToken,
    ) -> Result<Vec<CustomerMonthlyUsageRecord>, PartnerCenterError> {
        self.get_all(
            token,
            "GET /v1/customers/usagerecords",
            "customers/usagerecords",
        )
        .await
    }

    /// As [`PartnerCenterClient::customer_usage_records`], but a record that cannot be read
    /// is set aside (returned in [`Collected::unreadable`]) instead of failing the others.
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries (a page that cannot be read at
    /// all, after asking again, is one).
    #[tracing::instrument(skip_all)]
    pub async fn customer_usage_records_lenient(
        &self,
        token: &AccessToken,
    ) -> Result<Collected<CustomerMonthlyUsageRecord>, PartnerCenterError> {
        self.get_all_items(
            token,
            "GET /v1/customers/usagerecords",
            "customers/usagerecords",
            true,
        )
        .await
    }

    /// Every customer of the partner, all pages: follows `links.next` with its headers, or
    /// `seekOperation=Next` with `MS-ContinuationToken`.
    /// Route: `GET /v1/customers?size={n}`.
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries, or
    /// [`PartnerCenterError::PagingStalled`] if a page points back to itself.
    #[tracing::instrument(skip_all)]
    pub async fn customers(
        &self,
        token: &AccessToken,
    ) -> Result<Vec<Customer>, PartnerCenterError> {
        let route = format!("customers?size={}", self.inner.settings.customer_page_size);
        self.get_all(token, "GET /v1/customers", &route).await
    }

    /// One customer. Route: `GET /v1/customers/{customer-tenant-id}`.
    ///
    /// # Errors
    /// [`PartnerCenterError::NotFound`] for an unknown customer; others as usual.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id))]
    pub async fn customer(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
    ) -> Result<Customer, PartnerCenterError> {
        self.get_one(
            token,
            "GET /v1/customers/{customer-tenant-id}",
            &format!("customers/{customer_id}"),
        )
        .await
    }

    /// One customer's usage summary for the billing period.
    /// Route: `GET /v1/customers/{customer-tenant-id}/usagesummary` (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id))]
    pub async fn customer_usage_summary(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
    ) -> Result<CustomerUsageSummary, PartnerCenterError> {
        self.get_one(
            token,
            "GET /v1/customers/{customer-tenant-id}/usagesummary",
            &format!("customers/{customer_id}/usagesummary"),
        )
        .await
    }

    /// One customer's spending budget (amount `None` when no budget is set).
    /// Route: `GET /v1/customers/{customer-tenant-id}/usagebudget`.
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id))]
    pub async fn usage_budget(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
    ) -> Result<SpendingBudget, PartnerCenterError> {
        self.get_one(
            token,
            "GET /v1/customers/{customer-tenant-id}/usagebudget",
            &format!("customers/{customer_id}/usagebudget"),
        )
        .await
    }

    /// Sets (`Some`, in the customer's currency) or removes (`None`) a customer's spending
    /// budget, sending `{"amount": <decimal|null>, "attributes": {"objectType":
    /// "SpendingBudget"}}` with `MS-RequestId: request_id` (one id per logical change).
    /// Returns the budget Partner Center now holds and the request id. A write is sent
    /// again only when it provably did not reach Partner Center (no connection could be
    /// made, or 429); any other failure leaves its outcome to
    /// [`PartnerCenterError::write_fate`]. Route:
    /// `PATCH /v1/customers/{customer-tenant-id}/usagebudget`.
    ///
    /// # Errors
    /// [`PartnerCenterError::BadRequest`] for an amount Partner Center refuses,
    /// [`PartnerCenterError::Forbidden`] without the right; others as usual.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, amount = ?amount, %request_id))]
    pub async fn patch_usage_budget(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
        amount: Option<Decimal>,
        request_id: Uuid,
    ) -> Result<BudgetUpdate, PartnerCenterError> {
        let route = "PATCH /v1/customers/{customer-tenant-id}/usagebudget";
        let correlation_id = Uuid::new_v4();
        let url = self.url(&format!("customers/{customer_id}/usagebudget"))?;
        let mut call = self.call(route, token, correlation_id, url);
        call.method = Method::PATCH;
        call.body = Some(budget_patch_body(amount));
        call.write = true;
        call.request_id = Some(request_id);
        let (body, request_id) = self.send(&call).await?;
        let budget = if body.iter().all(u8::is_ascii_whitespace) {
            SpendingBudget {
                amount,
                ..SpendingBudget::default()
            }
        } else {
            decode(route, request_id, &body)?
        };
        Ok(BudgetUpdate { budget, request_id })
    }

    /// A customer's subscriptions (all kinds; usage-based Azure has `billingType: usage`).
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions`.
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id))]
    pub async fn subscriptions(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
    ) -> Result<Vec<Subscription>, PartnerCenterError> {
        self.get_all(
            token,
            "GET /v1/customers/{customer-tenant-id}/subscriptions",
            &format!("customers/{customer_id}/subscriptions"),
        )
        .await
    }

    /// Spend per subscription (per plan for Azure plan customers) for the billing period.
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions/usagerecords` (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id))]
    pub async fn subscription_usage_records(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
    ) -> Result<Vec<SubscriptionMonthlyUsageRecord>, PartnerCenterError> {
        self.get_all(
            token,
            "GET /v1/customers/{customer-tenant-id}/subscriptions/usagerecords",
            &format!("customers/{customer_id}/subscriptions/usagerecords"),
        )
        .await
    }

    /// One subscription's (or Azure plan's) usage summary for the billing period.
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/usagesummary`
    /// (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, subscription_id = %subscription_id))]
    pub async fn subscription_usage_summary(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<SubscriptionUsageSummary, PartnerCenterError> {
        self.get_one(
            token,
            "GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/usagesummary",
            &format!("customers/{customer_id}/subscriptions/{subscription_id}/usagesummary"),
        )
        .await
    }

    /// Spend per Azure resource (with its entitlement) of one subscription or plan.
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/resourceusagerecords`
    /// (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, subscription_id = %subscription_id))]
    pub async fn resource_usage_records(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Vec<ResourceUsageRecord>, PartnerCenterError> {
        self.get_all(
            token,
            "GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/resourceusagerecords",
            &format!("customers/{customer_id}/subscriptions/{subscription_id}/resourceusagerecords"),
        )
        .await
    }

    /// Quantity and spend per meter of one subscription or plan.
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/meterusagerecords`
    /// (App+User only).
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, subscription_id = %subscription_id))]
    pub async fn meter_usage_records(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Vec<MeterUsageRecord>, PartnerCenterError> {
        self.get_all(
            token,
            "GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/meterusagerecords",
            &format!("customers/{customer_id}/subscriptions/{subscription_id}/meterusagerecords"),
        )
        .await
    }

    /// Unrated utilization of a legacy subscription between two UTC instants, all pages
    /// (`links.next`, or `seek_operation=Next` with `MS-ContinuationToken`). A 204 with
    /// `Retry-After` (data not ready) is waited out and retried up to `max_retries` times.
    /// Route: `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/utilizations/azure?start_time=..&end_time=..&granularity=..&show_details=true&size=1000`.
    ///
    /// # Errors
    /// [`PartnerCenterError::NotReady`] when the data stays unavailable; others as usual.
    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, subscription_id = %subscription_id, %start, %end))]
    pub async fn azure_utilization_records(
        &self,
        token: &AccessToken,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        granularity: Granularity,
    ) -> Result<Vec<AzureUtilizationRecord>, PartnerCenterError> {
        let route = "GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/utilizations/azure";
        let mut url = self.url(&format!(
            "customers/{customer_id}/subscriptions/{subscription_id}/utilizations/azure"
        ))?;
        url.query_pairs_mut()
            .append_pair(
                "start_time",
                &start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
            .append_pair("end_time", &end.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .append_pair("granularity", granularity.as_str())
            .append_pair("show_details", "true")
            .append_pair("size", "1000");
        self.collect_items(token, route, url, "seek_operation", true, false)
            .await
            .map(|collected| collected.items)
    }

    /// Azure list prices in `currency` (ISO 4217) for `region` (ISO 3166 alpha-2); both
    /// default to the `X-Locale` (en-US: USD, US) when `None`.
    /// Route: `GET /v1/ratecards/azure[?currency=..&region=..]`.
    ///
    /// # Errors
    /// [`PartnerCenterError`] on any failure after retries.
    #[tracing::instrument(skip_all, fields(currency = ?currency, region = ?region))]
    pub async fn azure_rate_card(
        &self,
        token: &AccessToken,
        currency: Option<&str>,
        region: Option<&str>,
    ) -> Result<AzureRateCard, PartnerCenterError> {
        let route = "GET /v1/ratecards/azure";
        let mut url = self.url("ratecards/azure")?;
        if let Some(currency) = currency {
            url.query_pairs_mut().append_pair("currency", currency);
        }
        if let Some(region) = region {
            url.query_pairs_mut().append_pair("region", region);
        }
        let call = self.call(route, token, Uuid::new_v4(), url);
        self.fetch(&call).await.map(|(value, _)| value)
    }

    /// GET of a single resource.
    async fn get_one<T: DeserializeOwned>(
        &self,
        token: &AccessToken,
        route: &'static str,
        path: &str,
    ) -> Result<T, PartnerCenterError> {
        let url = self.url(path)?;
        let call = self.call(route, token, Uuid::new_v4(), url);
        self.fetch(&call).await.map(|(value, _)| value)
    }

    /// Sends a read and decodes its answer; an answer that cannot be read (malformed or
    /// truncated JSON, as a proxy or an overloaded server may give) is asked for again, up
    /// to `max_retries` times, with the same `MS-RequestId`.
    async fn fetch<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
    ) -> Result<(T, Uuid), PartnerCenterError> {
        let settings = &self.inner.settings;
        let request_id = call.request_id.unwrap_or_else(Uuid::new_v4);
        let call = Call {
            request_id: Some(request_id),
            ..call.clone()
        };
        let mut delay = settings.retry_base_delay;
        let mut retries = 0;
        loop {
            let (body, request_id) = self.send(&call).await?;
            match decode(call.route, request_id, &body) {
                Ok(value) => return Ok((value, request_id)),
                Err(error) if retries < settings.max_retries => {
                    retries += 1;
                    if let Some(metrics) = settings.metrics.as_deref() {
                        metrics.partner_center_retry(call.route, None);
                    }
                    tracing::warn!(route = call.route, %request_id, error = %error, ?delay, "unreadable Partner Center answer; asking again");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(settings.max_retry_after.max(delay));
                }
                Err(error) => {
                    if let Some(metrics) = settings.metrics.as_deref() {
                        metrics.partner_center_call(call.route, error.kind(), Duration::ZERO);
                    }
                    return Err(error);
                }
            }
        }
    }

    /// GET of a collection, all pages, strictly (an item that cannot be read fails the call).
    async fn get_all<T: DeserializeOwned>(
        &self,
        token: &AccessToken,
        route: &'static str,
        path: &str,
    ) -> Result<Vec<T>, PartnerCenterError> {
        self.get_all_items(token, route, path, false)
            .await
            .map(|collected| collected.items)
    }

    /// GET of a collection, all pages (next pages by `links.next` or `seekOperation=Next`);
    /// with `lenient`, an item that cannot be read is set aside instead of failing the call.
    async fn get_all_items<T: DeserializeOwned>(
        &self,
        token: &AccessToken,
        route: &'static str,
        path: &str,
        lenient: bool,
    ) -> Result<Collected<T>, PartnerCenterError> {
        let url = self.url(path)?;
        self.collect_items(token, route, url, "seekOperation", false, lenient)
            .await
    }

    /// Reads a collection from `first` to its last page. The next page is `links.next` (with
    /// its headers) when given, else `?{seek_parameter}=Next` with the top-level
    /// `continuationToken` as `MS-ContinuationToken`; neither means the last page.
    ///
    /// Each page is read whole (asked for again when unreadable, see
    /// [`PartnerCenterClient::fetch`]), then item by item: with `lenient`, an item that cannot
    /// be read is set aside in [`Collected::unreadable`]; otherwise it fails the call.
    async fn collect_items<T: DeserializeOwned>(
        &self,
        token: &AccessToken,
        route: &'static str,
        first: Url,
        seek_parameter: &str,
        no_content_means_retry: bool,
        lenient: bool,
    ) -> Result<Collected<T>, PartnerCenterError> {
        let correlation_id = Uuid::new_v4();
        let mut seen = HashSet::new();
        let mut collected = Collected {
            items: Vec::new(),
            unreadable: Vec::new(),
        };
        let mut call = self.call(route, token, correlation_id, first.clone());
        call.no_content_means_retry = no_content_means_retry;
        loop {
            call.request_id = None;
            let (page, request_id): (ResourceCollection<Box<RawValue>>, Uuid) =
                self.fetch(&call).await?;
            for raw in &page.items {
                collected.read(raw, route, request_id, lenient)?;
            }
            let Some((url, headers)) = self.next_page(page, &first, seek_parameter, request_id)?
            else {
                return Ok(collected);
            };
            let key = format!("{url} {headers:?}");
            if !seen.insert(key) {
                return Err(PartnerCenterError::PagingStalled { route, request_id });
            }
            call.url = url;
            call.extra_headers = headers;
        }
    }

    /// Where the page after `page` is, with the headers to send: `links.next` (resolved under
    /// the API root, with its headers) when given, else `first` with `?{seek_parameter}=Next`
    /// and the `continuationToken` as `MS-ContinuationToken`; `None` after the last page.
    ///
    /// # Errors
    /// [`PartnerCenterError::InvalidUrl`] for a link outside the API root or a token that
    /// cannot be a header.
    fn next_page(
        &self,
        page: ResourceCollection<Box<RawValue>>,
        first: &Url,
        seek_parameter: &str,
        request_id: Uuid,
    ) -> Result<Option<(Url, HeaderMap)>, PartnerCenterError> {
        if let Some(next) = page.links.next {
            let url = resolve(&self.inner.api_root, &next.uri).map_err(|_| {
                PartnerCenterError::InvalidUrl {
                    uri: next.uri.clone(),
                    request_id,
                }
            })?;
            return Ok(Some((url, link_headers(&next.headers))));
        }
        let Some(continuation) = page.continuation_token.filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        let mut url = first.clone();
        url.set_query(None);
        url.query_pairs_mut().append_pair(seek_parameter, "Next");
        let value =
            HeaderValue::from_str(&continuation).map_err(|_| PartnerCenterError::InvalidUrl {
                uri: continuation.clone(),
                request_id,
            })?;
        let mut headers = HeaderMap::new();
        headers.insert(MS_CONTINUATION_TOKEN, value);
        Ok(Some((url, headers)))
    }

    fn url(&self, path: &str) -> Result<Url, PartnerCenterError> {
        resolve(&self.inner.api_root, path).map_err(|_| PartnerCenterError::InvalidUrl {
            uri: path.to_owned(),
            request_id: Uuid::nil(),
        })
    }

    fn call<'a>(
        &self,
        route: &'static str,
        token: &'a AccessToken,
        correlation_id: Uuid,
        url: Url,
    ) -> Call<'a> {
        let correlation_id = CORRELATION_ID.try_with(|id| *id).unwrap_or(correlation_id);
        Call {
            route,
            method: Method::GET,
            url,
            token,
            correlation_id,
            extra_headers: HeaderMap::new(),
            body: None,
            no_content_means_retry: false,
            write: false,
            request_id: None,
        }
    }

    /// Sends one request with `call.request_id` (else a fresh `MS-RequestId`), kept on every
    /// retry. Reads are retried as Partner Center's SDK does: 5xx, 408 and transport failures
    /// with exponential backoff; 429 (and 204 where `no_content_means_retry`) after
    /// `Retry-After`, capped at `max_retry_after`; never other statuses. Writes are retried
    /// only after a failed connection or a 429. Returns the 2xx body and the `MS-RequestId`.
    async fn send(&self, call: &Call<'_>) -> Result<(Vec<u8>, Uuid), PartnerCenterError> {
        let request_id = call.request_id.unwrap_or_else(Uuid::new_v4);
        let settings = &self.inner.settings;
        let span = tracing::info_span!(
            "partner_center_request",
            route = call.route,
            %request_id,
            correlation_id = %call.correlation_id,
            url = %call.url,
        );
        let backoff = ExponentialBuilder::default()
            .with_min_delay(settings.retry_base_delay)
            .with_factor(2.0)
            .with_max_delay(settings.max_retry_after.max(settings.retry_base_delay))
            .with_max_times(settings.max_retries)
            .with_jitter();
        let max_retry_after = settings.max_retry_after;
        let metrics = settings.metrics.as_deref();
        let started = std::time::Instant::now();
        let outcome = (|| self.attempt(call, request_id))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|attempt| {
                if call.write {
                    attempt.is_retryable_write()
                } else {
                    attempt.is_retryable()
                }
            })
            .adjust(|attempt, delay| {
                let delay = delay?;
                Some(
                    attempt
                        .retry_after()
                        .map_or(delay, |wait| wait.min(max_retry_after)),
                )
            })
            .notify(|attempt, delay| {
                tracing::warn!(failure = %attempt.describe(), ?delay, "retrying Partner Center call");
                if let Some(metrics) = metrics {
                    metrics.partner_center_retry(call.route, attempt.retry_after().map(|_| delay));
                }
            })
            .instrument(span.clone())
            .await;
        let outcome = outcome.map(|body| (body, request_id)).map_err(|attempt| {
            let error = attempt.into_error(request_id);
            span.in_scope(|| tracing::warn!(error = %error, "Partner Center call failed"));
            error
        });
        if let Some(metrics) = metrics {
            let label = outcome
                .as_ref()
                .map_or_else(PartnerCenterError::kind, |_| "ok");
            metrics.partner_center_call(call.route, label, started.elapsed());
        }
        outcome
    }

    /// One attempt, holding a concurrency permit from connection to last body byte.
    async fn attempt(&self, call: &Call<'_>, request_id: Uuid) -> Result<Vec<u8>, Attempt> {
        let _permit = self.inner.permits.acquire().await.ok();
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(call.extra_headers.clone())
            .bearer_auth(call.token.0.expose_secret())
            .header(ACCEPT, "application/json")
            .header(MS_REQUEST_ID, request_id.to_string())
            .header(MS_CORRELATION_ID, call.correlation_id.to_string())
            .header(MS_CONTRACT_VERSION, "v1")
            .header(X_LOCALE, "en-US")
            .header(MS_APPLICATION, APPLICATION_NAME);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = request.send().await.map_err(Attempt::Transport)?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        let body = response.bytes().await.map_err(Attempt::Transport)?.to_vec();
        tracing::debug!(%status, bytes = body.len(), "Partner Center answered");
        if status == StatusCode::NO_CONTENT && call.no_content_means_retry {
            Err(Attempt::NotReady { retry_after })
        } else if status.is_success() {
            Ok(body)
        } else {
            Err(Attempt::Status {
                status,
                body,
                retry_after,
            })
        }
    }
}

/// Decodes a 2xx body, naming the route on failure.
fn decode<T: DeserializeOwned>(
    route: &'static str,
    request_id: Uuid,
    body: &[u8],
) -> Result<T, PartnerCenterError> {
    serde_json::from_slice(body).map_err(|source| PartnerCenterError::Decode {
        route,
        request_id,
        source,
    })
}

/// The headers a link asks for, minus those the client owns (authorization, host and the
/// ids); invalid ones are skipped with a warning.
fn link_headers(headers: &[super::links::LinkHeader]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for header in headers {
        match (
            HeaderName::from_bytes(header.key.trim().as_bytes()),
            HeaderValue::from_str(&header.value),
        ) {
            (Ok(name), Ok(value)) => {
                if ![AUTHORIZATION, HOST, MS_REQUEST_ID, MS_CORRELATION_ID].contains(&name) {
                    map.append(name, value);
                }
            }
            _ => tracing::warn!(header = %header.key, "skipping an invalid link header"),
        }
    }
    map
}

/// The PATCH body in camelCase. Written by hand so the amount goes out as an exact JSON
/// number (rust_decimal's serde writes strings, and floats would round).
fn budget_patch_body(amount: Option<Decimal>) -> String {
    let amount = amount.map_or_else(|| "null".to_owned(), |a| a.normalize().to_string());
    format!(r#"{{"amount":{amount},"attributes":{{"objectType":"SpendingBudget"}}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_patch_body_is_camel_case_with_an_exact_number_or_null() {
        let set: serde_json::Value =
            serde_json::from_str(&budget_patch_body(Some(Decimal::new(123_456, 2)))).unwrap();
        assert_eq!(
            set,
            serde_json::json!({"amount": 1234.56, "attributes": {"objectType": "SpendingBudget"}})
        );
        let long = budget_patch_body(Some("12345678901234567.89".parse().unwrap()));
        assert!(
            long.starts_with(r#"{"amount":12345678901234567.89,"#),
            "{long}"
        );
        assert_eq!(
            budget_patch_body(None),
            r#"{"amount":null,"attributes":{"objectType":"SpendingBudget"}}"#
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let headers = |value: &str| {
            let mut map = HeaderMap::new();
            map.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            map
        };
        assert_eq!(
            parse_retry_after(&headers("57")),
            Some(Duration::from_secs(57))
        );
        assert_eq!(
            parse_retry_after(&headers("0.25")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&headers("soon")), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn link_headers_keep_the_continuation_token_and_drop_owned_headers() {
        let headers: Vec<super::super::links::LinkHeader> = serde_json::from_str(
            r#"[{"key":"MS-ContinuationToken","value":"/1f5c/usage?x=1&t=eyJ%3d%3d"},
                {"key":"Authorization","value":"Bearer stolen"},
                {"key":"bad header","value":"x"}]"#,
        )
        .unwrap();
        let map = link_headers(&headers);
        assert_eq!(map.len(), 1);
        assert_eq!(
            map.get(MS_CONTINUATION_TOKEN).unwrap(),
            "/1f5c/usage?x=1&t=eyJ%3d%3d"
        );
    }

    /// A Partner Center stand-in (wiremock) that answers `method` + `path` (and `query`, when
    /// given) once with `body` (200, JSON), after the stand-ins mounted before it.
    async fn answer_once(
        server: &wiremock::MockServer,
        route: (&str, &str),
        query: Option<(&str, &str)>,
        body: &'static str,
    ) {
        use wiremock::matchers::{method, path, query_param};
        let mut mock = wiremock::Mock::given(method(route.0)).and(path(route.1));
        if let Some((key, value)) = query {
            mock = mock.and(query_param(key, value));
        }
        mock.respond_with(
            wiremock::ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .up_to_n_times(1)
        .mount(server)
        .await;
    }

    /// The requests `server` received, in order.
    async fn received(server: &wiremock::MockServer) -> Vec<wiremock::Request> {
        server.received_requests().await.expect("recording is on")
    }

    /// A request's header as text.
    fn header<'r>(request: &'r wiremock::Request, name: &str) -> Option<&'r str> {
        request.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn a_continuation_token_without_a_next_link_is_followed_with_seek_operation_next() {
        let server = wiremock::MockServer::start().await;
        let customers = ("GET", "/pc/v1/customers");
        answer_once(
            &server,
            customers,
            Some(("size", "1")),
            r#"{"totalCount":1,"items":[{"id":"b44bb1fb-c595-45b0-9e09-d657365580bf"}],
                "continuationToken":"token/1+=","links":{"self":{"uri":"/customers?size=1"}}}"#,
        )
        .await;
        answer_once(
            &server,
            customers,
            Some(("seekOperation", "Next")),
            r#"{"totalCount":1,"items":[{"id":"a356ac8c-e310-44f4-bf85-c7f29044af99"}],
                "links":{"self":{"uri":"customers?seekOperation=Next"}}}"#,
        )
        .await;
        let base = Url::parse(&server.uri()).unwrap();
        let mut settings = ClientSettings::new(base.join("pc").unwrap());
        settings.customer_page_size = 1;
        let client = PartnerCenterClient::new(settings).unwrap();
        let customers = client.customers(&AccessToken::new("t0ken")).await.unwrap();
        assert_eq!(customers.len(), 2);
        let requests = received(&server).await;
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].url.query(), Some("size=1"));
        assert_eq!(requests[1].url.query(), Some("seekOperation=Next"));
        assert_eq!(header(&requests[0], "ms-continuationtoken"), None);
        assert_eq!(
            header(&requests[1], "ms-continuationtoken"),
            Some("token/1+=")
        );
        assert_ne!(
            header(&requests[0], "ms-requestid"),
            header(&requests[1], "ms-requestid"),
            "a new id per page"
        );
        assert_eq!(
            header(&requests[0], "ms-correlationid"),
            header(&requests[1], "ms-correlationid"),
            "one per call"
        );
    }

    #[tokio::test]
    async fn an_unreadable_page_is_asked_again_and_an_unreadable_record_is_set_aside() {
        let server = wiremock::MockServer::start().await;
        let records = ("GET", "/v1/customers/usagerecords");
        // Cut short (a proxy dropped the rest): asked again.
        answer_once(
            &server,
            records,
            None,
            r#"{"totalCount":3,"items":[{"resourceId":"b44bb1fb-c595"#,
        )
        .await;
        answer_once(
            &server,
            records,
            None,
            r#"{"totalCount":3,"items":[
                {"resourceId":"b44bb1fb-c595-45b0-9e09-d657365580bf","totalCost":10.5,"currencyCode":"EUR","isUpgraded":true,"budget":{}},
                {"resourceId":"a356ac8c-e310-44f4-bf85-c7f29044af99","totalCost":"a lot","isUpgraded":true},
                {"resourceId":"c2a3e4b5-0000-4000-8000-000000000001","totalCost":1,"currencyCode":"USD","isUpgraded":true,"budget":{}}
             ],"links":{"self":{"uri":"/customers/usagerecords"}}}"#,
        )
        .await;
        let base = Url::parse(&server.uri()).unwrap();
        let mut settings = ClientSettings::new(base);
        settings.retry_base_delay = Duration::from_millis(10);
        let client = PartnerCenterClient::new(settings).unwrap();
        let collected = client
            .customer_usage_records_lenient(&AccessToken::new("t0ken"))
            .await
            .unwrap();
        assert_eq!(collected.items.len(), 2, "the readable records are kept");
        assert_eq!(collected.unreadable.len(), 1);
        assert_eq!(collected.unreadable[0].position, 1);
        assert!(!collected.unreadable[0].error.is_empty());
        let requests = received(&server).await;
        assert_eq!(requests.len(), 2);
        assert_eq!(
            header(&requests[0], "ms-requestid"),
            header(&requests[1], "ms-requestid"),
            "the page asked for again is the same request"
        );
    }

    #[tokio::test]
    async fn every_request_carries_the_partner_center_headers() {
        let server = wiremock::MockServer::start().await;
        answer_once(
            &server,
            (
                "PATCH",
                "/v1/customers/b44bb1fb-c595-45b0-9e09-d657365580bf/usagebudget",
            ),
            None,
            r#"{"amount":250.75,"attributes":{"objectType":"SpendingBudget"}}"#,
        )
        .await;
        let base = Url::parse(&server.uri()).unwrap();
        let client = PartnerCenterClient::new(ClientSettings::new(base)).unwrap();
        let customer = CustomerId::parse("b44bb1fb-c595-45b0-9e09-d657365580bf").unwrap();
        let update = client
            .patch_usage_budget(
                &AccessToken::new("t0ken"),
                &customer,
                Some(Decimal::new(25075, 2)),
                Uuid::new_v4(),
            )
            .await
            .unwrap();
        assert_eq!(update.budget.amount, Some(Decimal::new(25075, 2)));
        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "the PATCH, answered");
        let request_id = update.request_id.to_string();
        for (name, value) in [
            ("authorization", "Bearer t0ken"),
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("ms-contract-version", "v1"),
            ("x-locale", "en-US"),
            ("ms-partnercenter-application", "Spendboard"),
            ("ms-requestid", request_id.as_str()),
        ] {
            assert_eq!(header(&requests[0], name), Some(value), "{name}");
        }
        assert!(header(&requests[0], "ms-correlationid").is_some());
    }
}

//! The alert message: subject, plain text and HTML, rendered once when a threshold fires
//! (askama templates `email/alert.txt` and `email/alert.html`). Amounts carry the customer's
//! currency; the link goes to the customer page under `server.public_url`.

use askama::Template;
use url::Url;

use crate::domain::{Money, Threshold, ThresholdBasis};
use crate::store::CustomerSnapshot;

/// What an alert says, for both renderings.
#[derive(Debug, Clone)]
pub struct AlertMessage {
    pub customer_name: String,
    /// `80 % of actual spend`.
    pub threshold: String,
    /// True for a threshold on the month-end projection.
    pub forecast: bool,
    /// `November 2026`.
    pub period: String,
    pub spend: String,
    pub budget: String,
    /// The month-end projection, with how it was made.
    pub projected: Option<String>,
    pub method: Option<String>,
    /// The customer page.
    pub link: String,
}

#[derive(Template)]
#[template(path = "email/alert.txt")]
struct TextBody<'a> {
    m: &'a AlertMessage,
}

#[derive(Template)]
#[template(path = "email/alert.html")]
struct HtmlBody<'a> {
    m: &'a AlertMessage,
}

impl AlertMessage {
    /// The message for `snapshot` having crossed `threshold` (the snapshot has a budget).
    pub fn new(snapshot: &CustomerSnapshot, threshold: Threshold, public_url: &Url) -> Self {
        let budget =
            (snapshot.budget.clone()).unwrap_or_else(|| Money::zero(snapshot.currency().clone()));
        let link = public_url
            .join(&crate::paths::customer(&snapshot.customer_id))
            .map_or_else(|_| public_url.to_string(), String::from);
        Self {
            customer_name: snapshot.company_name.clone(),
            threshold: threshold.to_string(),
            forecast: threshold.basis() == ThresholdBasis::Forecast,
            period: snapshot.billing_period_start.format("%B %Y").to_string(),
            spend: snapshot.total_cost.to_string(),
            budget: budget.to_string(),
            projected: (snapshot.forecast.as_ref()).map(|f| f.projected_total.to_string()),
            method: snapshot.forecast.as_ref().map(|f| f.method.describe()),
            link,
        }
    }

    /// Subject, plain text and HTML.
    pub fn render(&self) -> (String, String, String) {
        let subject = format!(
            "Budget alert: {} reached {} ({})",
            self.customer_name, self.threshold, self.period
        );
        // The templates only format strings: rendering cannot fail but for a bug.
        let text = TextBody { m: self }
            .render()
            .unwrap_or_else(|e| e.to_string());
        let html = HtmlBody { m: self }
            .render()
            .unwrap_or_else(|e| e.to_string());
        (subject, text, html)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};

    use super::*;
    use crate::domain::{Currency, CustomerId, ForecastMethod, UsageStatus};
    use crate::store::SnapshotForecast;

    #[test]
    fn a_forecast_alert_says_how_the_forecast_was_made_with_amounts_in_the_currency() {
        let jpy =
            |amount: &str| Money::new(amount.parse().unwrap(), Currency::parse("JPY").unwrap());
        let snapshot = CustomerSnapshot {
            customer_id: CustomerId::parse("5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a01").unwrap(),
            company_name: "Bäckerei <Schön> & Söhne".into(),
            domain: None,
            is_azure_plan: true,
            total_cost: jpy("61234.4"),
            usd_total_cost: None,
            budget: Some(jpy("100000")),
            percent_used: None,
            status: UsageStatus::OnPace,
            last_modified: Utc::now(),
            billing_period_start: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            fetched_at: Utc::now(),
            forecast: Some(SnapshotForecast {
                projected_total: jpy("130500"),
                crosses_budget_on: None,
                method: ForecastMethod::RecentDailyAverage { days: 7 },
            }),
        };
        let threshold = Threshold::new(ThresholdBasis::Forecast, 100).unwrap();
        let url = Url::parse("https://spendboard.example.com").unwrap();
        let (subject, text, html) = AlertMessage::new(&snapshot, threshold, &url).render();
        assert_eq!(
            subject,
            "Budget alert: Bäckerei <Schön> & Söhne reached 100 % of forecast spend (November 2026)"
        );
        for body in [&text, &html] {
            assert!(body.contains("61,234 JPY"), "{body}");
            assert!(body.contains("100,000 JPY"), "{body}");
            assert!(body.contains("130,500 JPY"), "{body}");
            assert!(
                body.contains("average of the last 7 days&#39; spend")
                    || body.contains("average of the last 7 days' spend"),
                "{body}"
            );
            assert!(body.contains(
                "https://spendboard.example.com/customers/5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a01"
            ));
        }
        assert!(text.contains("Bäckerei <Schön> & Söhne"));
        assert!(
            html.contains("Bäckerei &#60;Schön&#62; &#38; Söhne"),
            "{html}"
        );
    }
}

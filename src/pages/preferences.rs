//! The preferences page: a person's daily digest (on or off, hour, statuses).

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;
use crate::store::DigestPreferences;

/// `GET /preferences`.
#[derive(Template, WebTemplate)]
#[template(path = "pages/preferences.html")]
pub struct PreferencesPage {
    pub layout: Layout,
    /// The sign-in name the digest goes to; `None` when the account gave none (then there
    /// is no form).
    pub address: Option<String>,
    pub form: PreferencesForm,
}

/// The digest form, with the input kept and the error next to the field.
#[derive(Debug, Clone)]
pub struct PreferencesForm {
    pub csrf_token: String,
    pub enabled: bool,
    /// The hour as submitted (0 to 23).
    pub hour: String,
    /// `(field name, label, checked)` per status a digest can list.
    pub statuses: Vec<(String, &'static str, bool)>,
    pub error: Option<String>,
}

impl PreferencesForm {
    /// The form showing `preferences`.
    pub fn of(preferences: &DigestPreferences, csrf_token: &str) -> Self {
        Self {
            csrf_token: csrf_token.to_owned(),
            enabled: preferences.enabled,
            hour: preferences.hour_utc.to_string(),
            statuses: DigestPreferences::STATUSES
                .into_iter()
                .map(|s| {
                    (
                        format!("status_{}", s.key()),
                        s.label(),
                        preferences.statuses.contains(&s),
                    )
                })
                .collect(),
            error: None,
        }
    }

    /// The hours offered, 0 to 23, with whether each is the chosen one.
    pub fn hours(&self) -> Vec<(u8, bool)> {
        (0..24).map(|h| (h, h.to_string() == self.hour)).collect()
    }
}

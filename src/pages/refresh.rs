//! The refresh progress page.

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;

/// Progress of the latest partner-wide refresh; reloads itself every 2 seconds while running
/// (a meta refresh: works without JavaScript).
#[derive(Template, WebTemplate)]
#[template(path = "pages/refresh.html")]
pub struct RefreshPage {
    pub layout: Layout,
    pub running: bool,
    pub failed: bool,
    pub done: u64,
    pub total: u64,
    /// 0..=100.
    pub percent: u64,
    pub message: String,
    pub started: Option<String>,
    pub finished: Option<String>,
}

//! The Teams page: groups of account managers, each with an optional incoming webhook that
//! gets the alerts of its members' customers; edited by budget editors.

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;
use crate::alerts::{TeamField, webhook_host};
use crate::paths;
use crate::store::AlertTeam;

/// `GET /teams`.
#[derive(Template, WebTemplate)]
#[template(path = "pages/teams.html")]
pub struct TeamsPage {
    pub layout: Layout,
    /// The create form; budget editors only.
    pub create: Option<TeamForm>,
    pub teams: Vec<TeamView>,
}

/// A team as listed.
#[derive(Debug, Clone)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    /// The host of its webhook only (the URL is a secret).
    pub webhook_host: Option<String>,
    pub members: Vec<String>,
    /// Its forms; budget editors only.
    pub form: Option<TeamForm>,
}

/// A team's forms (or the create form), with the input kept and the error next to the
/// field it is about.
#[derive(Debug, Clone, Default)]
pub struct TeamForm {
    pub csrf_token: String,
    pub name: String,
    /// As entered after an error; never the stored URL (a secret).
    pub webhook_url: String,
    pub member: String,
    pub name_error: Option<String>,
    pub url_error: Option<String>,
    pub member_error: Option<String>,
}

/// What a refused form sent, for the page again (422).
#[derive(Debug, Clone)]
pub struct KeptTeamInput {
    /// The team whose form it was; `None` for the create form.
    pub team: Option<i64>,
    pub name: String,
    pub webhook_url: String,
    pub member: String,
    pub field: TeamField,
    pub error: String,
}

impl TeamForm {
    fn with(mut self, kept: &KeptTeamInput) -> Self {
        let error = Some(kept.error.clone());
        match kept.field {
            TeamField::Name => (self.name, self.name_error) = (kept.name.clone(), error),
            TeamField::WebhookUrl => {
                (self.webhook_url, self.url_error) = (kept.webhook_url.clone(), error);
            }
            TeamField::Member => (self.member, self.member_error) = (kept.member.clone(), error),
        }
        if kept.team.is_none() {
            // The create form sends the name and the URL together: both kept.
            self.name.clone_from(&kept.name);
            self.webhook_url.clone_from(&kept.webhook_url);
        }
        self
    }
}

impl TeamsPage {
    /// The page for `teams`; forms when `csrf_token` is given (budget editors), with a
    /// refused form's input and error from `kept`.
    pub fn new(
        layout: Layout,
        teams: &[AlertTeam],
        csrf_token: Option<&str>,
        kept: Option<&KeptTeamInput>,
    ) -> Self {
        let form = |team: Option<&AlertTeam>| {
            csrf_token.map(|csrf| {
                let form = TeamForm {
                    csrf_token: csrf.to_owned(),
                    name: team.map(|t| t.name.clone()).unwrap_or_default(),
                    ..TeamForm::default()
                };
                match kept {
                    Some(kept) if kept.team == team.map(|t| t.id) => form.with(kept),
                    _ => form,
                }
            })
        };
        Self {
            layout,
            create: form(None),
            teams: teams
                .iter()
                .map(|team| TeamView {
                    id: team.id,
                    name: team.name.clone(),
                    webhook_host: team.webhook_url.as_deref().map(webhook_host),
                    members: team.members.iter().map(ToString::to_string).collect(),
                    form: form(Some(team)),
                })
                .collect(),
        }
    }
}

impl TeamView {
    /// Where the rename form posts.
    pub fn name_action(&self) -> String {
        paths::team_name(self.id)
    }

    /// Where the webhook form posts.
    pub fn webhook_action(&self) -> String {
        paths::team_webhook(self.id)
    }

    /// Where the add-a-member form posts.
    pub fn members_action(&self) -> String {
        paths::team_members(self.id)
    }

    /// Where a member's remove button posts.
    pub fn member_removal_action(&self) -> String {
        paths::team_member_removal(self.id)
    }
}

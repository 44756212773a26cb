//! Alert teams: named groups of account managers with an optional incoming webhook. The
//! checks of what a budget editor enters (a name, a webhook URL, a member's sign-in name),
//! and which team webhooks a customer's alert goes to.

use std::collections::BTreeMap;

use url::Url;

use crate::domain::{SignInName, SignInNameError, UserId};
use crate::store::{AlertTeam, Store, StoreError};

/// The longest team name, in characters.
const NAME_MAX: usize = 100;

/// Why a change of the teams was refused (nothing was saved), in words for the person.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("Enter a team name of 1 to {NAME_MAX} characters.")]
    Name,
    #[error("There is a team named {0:?} already.")]
    NameTaken(String),
    #[error(
        "Enter the webhook's address starting with https:// (e.g. https://contoso.webhook.office.com/webhookb2/...), or nothing for no webhook."
    )]
    WebhookUrl,
    #[error("Enter the member's sign-in name: {0}.")]
    Member(#[from] SignInNameError),
    #[error("There is no such team.")]
    NoSuchTeam,
    /// The database failed: not the person's doing.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The form field a [`TeamError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamField {
    Name,
    WebhookUrl,
    Member,
}

impl TeamError {
    /// The field the error belongs next to; `None` for a missing team or the database.
    pub fn field(&self) -> Option<TeamField> {
        match self {
            Self::Name | Self::NameTaken(_) => Some(TeamField::Name),
            Self::WebhookUrl => Some(TeamField::WebhookUrl),
            Self::Member(_) => Some(TeamField::Member),
            Self::NoSuchTeam | Self::Store(_) => None,
        }
    }
}

/// A team name: trimmed, 1 to 100 characters, no control characters.
fn team_name(input: &str) -> Result<&str, TeamError> {
    let name = input.trim();
    let length = name.chars().count();
    if (1..=NAME_MAX).contains(&length) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(TeamError::Name)
    }
}

/// A webhook URL as entered: nothing (blank) for no webhook; else an absolute `https` URL
/// with a host and no user name or password, or `http` to `localhost` or `127.0.0.1` (a
/// receiver on the same machine, as in tests).
///
/// # Errors
/// [`TeamError::WebhookUrl`] for anything else.
pub fn webhook_url(input: &str) -> Result<Option<Url>, TeamError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let url = Url::parse(input).map_err(|_| TeamError::WebhookUrl)?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1"));
    let allowed = match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => local,
        _ => false,
    };
    if allowed && url.username().is_empty() && url.password().is_none() {
        Ok(Some(url))
    } else {
        Err(TeamError::WebhookUrl)
    }
}

/// The host of a stored webhook URL, for pages (the rest of the URL is a secret).
pub fn webhook_host(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "an unreadable address".to_owned())
}

/// Creates a team as `user_id`; its id.
///
/// # Errors
/// [`TeamError`]: a bad name or URL, a name taken (nothing saved), the database.
pub async fn create_team(
    store: &Store,
    name: &str,
    url: &str,
    user_id: UserId,
) -> Result<i64, TeamError> {
    let name = team_name(name)?;
    let url = webhook_url(url)?;
    store
        .create_alert_team(name, url.as_ref().map(Url::as_str), user_id)
        .await?
        .ok_or_else(|| TeamError::NameTaken(name.to_owned()))
}

/// Renames team `id`; the new name.
///
/// # Errors
/// [`TeamError`]: no such team, a bad name, a name taken (nothing saved), the database.
pub async fn rename_team(store: &Store, id: i64, name: &str) -> Result<String, TeamError> {
    existing(store, id).await?;
    let name = team_name(name)?;
    if store.rename_alert_team(id, name).await? {
        Ok(name.to_owned())
    } else {
        Err(TeamError::NameTaken(name.to_owned()))
    }
}

/// Sets team `id`'s webhook (blank `url`: clears it); the team's name, and whether it has
/// a webhook now.
///
/// # Errors
/// [`TeamError`]: no such team, a bad URL (nothing saved), the database.
pub async fn set_webhook(store: &Store, id: i64, url: &str) -> Result<(String, bool), TeamError> {
    let team = existing(store, id).await?;
    let url = webhook_url(url)?;
    store
        .set_alert_team_webhook(id, url.as_ref().map(Url::as_str))
        .await?;
    Ok((team.name, url.is_some()))
}

/// Adds (`add`) or removes a member of team `id`; the team's name and the member.
///
/// # Errors
/// [`TeamError`]: no such team, a bad sign-in name (nothing saved), the database.
pub async fn change_member(
    store: &Store,
    id: i64,
    member: &str,
    add: bool,
) -> Result<(String, SignInName), TeamError> {
    let team = existing(store, id).await?;
    let member = SignInName::parse(member)?;
    if add {
        store.add_alert_team_member(id, &member).await?;
    } else {
        store.remove_alert_team_member(id, &member).await?;
    }
    Ok((team.name, member))
}

async fn existing(store: &Store, id: i64) -> Result<AlertTeam, TeamError> {
    store
        .alert_teams()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(TeamError::NoSuchTeam)
}

/// The team webhooks an alert about a customer owned by `owners` goes to: each webhook of a
/// team with at least one of the owners as a member, once per URL, with the names of the
/// teams sharing it (`"Benelux, West"`), by URL.
pub fn team_webhooks(teams: &[AlertTeam], owners: &[SignInName]) -> Vec<(String, String)> {
    let mut by_url: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for team in teams {
        let Some(url) = &team.webhook_url else {
            continue;
        };
        if team.members.iter().any(|m| owners.contains(m)) {
            by_url.entry(url).or_default().push(&team.name);
        }
    }
    by_url
        .into_iter()
        .map(|(url, names)| (url.to_owned(), names.join(", ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(name: &str, url: Option<&str>, members: &[&str]) -> AlertTeam {
        AlertTeam {
            id: 0,
            name: name.into(),
            webhook_url: url.map(Into::into),
            members: members
                .iter()
                .map(|m| SignInName::parse(m).unwrap())
                .collect(),
        }
    }

    #[test]
    fn webhooks_are_https_or_local_http_without_credentials() {
        for good in [
            "https://contoso.webhook.office.com/webhookb2/abc",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
        ] {
            assert!(webhook_url(good).unwrap().is_some(), "{good}");
        }
        assert_eq!(webhook_url("  ").unwrap(), None);
        for bad in [
            "http://contoso.com/hook",
            "ftp://contoso.com/hook",
            "contoso.com/hook",
            "https://user:secret@contoso.com/hook",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(webhook_url(bad), Err(TeamError::WebhookUrl)),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_neither_empty_nor_too_long() {
        assert_eq!(team_name("  West ").unwrap(), "West");
        assert!(team_name(" ").is_err());
        assert!(team_name(&"x".repeat(101)).is_err());
        assert!(team_name("a\nb").is_err());
    }

    #[test]
    fn an_alert_goes_once_to_each_webhook_of_a_team_of_an_owner() {
        let teams = [
            team("West", Some("https://a.example/1"), &["adele@c.com"]),
            team("North", Some("https://a.example/1"), &["alex@c.com"]),
            team("East", Some("https://b.example/2"), &["alex@c.com"]),
            team("Quiet", None, &["adele@c.com"]),
            team("South", Some("https://c.example/3"), &["other@c.com"]),
        ];
        let owners = [
            SignInName::parse("adele@c.com").unwrap(),
            SignInName::parse("alex@c.com").unwrap(),
        ];
        assert_eq!(
            team_webhooks(&teams, &owners),
            [
                ("https://a.example/1".to_owned(), "West, North".to_owned()),
                ("https://b.example/2".to_owned(), "East".to_owned()),
            ]
        );
        assert!(team_webhooks(&teams, &[]).is_empty());
    }
}

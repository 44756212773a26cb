//! Entra ID app roles mapped to Spendboard's rights.

use crate::config::RoleSettings;

/// What a signed-in person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Access {
    /// Sees every page.
    Reader,
    /// Sees every page and assigns customers to their owners (portfolios), but does not
    /// change budgets.
    PortfolioAdmin,
    /// Sees every page, changes budgets and assigns owners.
    BudgetEditor,
}

impl Access {
    /// The access granted by the ID token's `roles` claim, or `None` (no access page) when no
    /// configured role value is present. A budget editor is also a portfolio admin, and
    /// both are readers: the widest right granted wins.
    pub fn from_roles(roles: &[String], settings: &RoleSettings) -> Option<Self> {
        let has = |wanted: &[String]| roles.iter().any(|r| wanted.iter().any(|w| w == r));
        if has(&settings.budget_editor) {
            Some(Self::BudgetEditor)
        } else if has(&settings.portfolio_admin) {
            Some(Self::PortfolioAdmin)
        } else if has(&settings.reader) {
            Some(Self::Reader)
        } else {
            None
        }
    }

    /// May change budgets.
    pub fn can_edit_budgets(self) -> bool {
        self == Self::BudgetEditor
    }

    /// May assign customers to owners and remove owners.
    pub fn can_assign_owners(self) -> bool {
        matches!(self, Self::BudgetEditor | Self::PortfolioAdmin)
    }

    /// How the role is shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reader => "Reader",
            Self::PortfolioAdmin => "Portfolio admin",
            Self::BudgetEditor => "Budget editor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_by_configuration_and_editor_wins() {
        let settings = RoleSettings::default();
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Access::from_roles(&roles(&["Spendboard.Reader"]), &settings),
            Some(Access::Reader)
        );
        assert_eq!(
            Access::from_roles(
                &roles(&["Spendboard.Reader", "Spendboard.BudgetEditor"]),
                &settings
            ),
            Some(Access::BudgetEditor)
        );
        assert_eq!(
            Access::from_roles(
                &roles(&["Spendboard.Reader", "Spendboard.PortfolioAdmin"]),
                &settings
            ),
            Some(Access::PortfolioAdmin)
        );
        assert_eq!(
            Access::from_roles(
                &roles(&["Spendboard.PortfolioAdmin", "Spendboard.BudgetEditor"]),
                &settings
            ),
            Some(Access::BudgetEditor)
        );
        assert!(Access::PortfolioAdmin.can_assign_owners());
        assert!(!Access::PortfolioAdmin.can_edit_budgets());
        assert!(!Access::Reader.can_assign_owners());
        assert_eq!(Access::from_roles(&roles(&["Other"]), &settings), None);
        assert_eq!(Access::from_roles(&[], &settings), None);
    }
}

//! The fixed demo directory: two tenants, four users and the demo application.
//! Spendboard's tests and demo rely on these exact values.

use uuid::{Uuid, uuid};

/// The partner's tenant (directory) id, `northwindcsp.onmicrosoft.com`.
pub const PARTNER_TENANT_ID: Uuid = uuid!("6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7");

/// Another customer's tenant, `fabrikamtraders.onmicrosoft.com`, whose user signs in to the
/// partner's multi-tenant application.
pub const OTHER_TENANT_ID: Uuid = uuid!("0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b");

/// The demo application (client) id registered in the partner tenant.
pub const DEMO_CLIENT_ID: &str = "3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f";

/// The demo application's client secret: a credential of a local emulator, printed on start.
pub const DEMO_CLIENT_SECRET: &str = "sandbox-demo-secret";

/// Object id of the demo application's service principal: the `oid` and `sub` of its
/// app-only (client-credentials) tokens.
pub const DEMO_SERVICE_PRINCIPAL_ID: Uuid = uuid!("5e1f0a2b-4c3d-4e5f-8a9b-0c1d2e3f4a5b");

/// The tenants whose discovery documents and keys the sandbox serves.
pub const KNOWN_TENANTS: [Uuid; 2] = [PARTNER_TENANT_ID, OTHER_TENANT_ID];

/// A user of the demo directory, shown on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// The user's object id (`oid`), stable across runs.
    pub object_id: Uuid,
    /// The user's home tenant (`tid`).
    pub tenant_id: Uuid,
    /// Display name (`name`).
    pub name: &'static str,
    /// Sign-in name (`preferred_username` in ID tokens, `upn` in access tokens).
    pub preferred_username: &'static str,
    /// The application roles assigned to the user (`roles`); empty for none.
    pub roles: &'static [&'static str],
    /// What the user stands for in the demo, shown on the sign-in page.
    pub description: &'static str,
}

/// The four demo users, in the order the sign-in page lists them.
pub static DEMO_USERS: [DemoUser; 4] = [
    DemoUser {
        object_id: uuid!("a1de1e00-0000-4a00-8000-000000000001"),
        tenant_id: PARTNER_TENANT_ID,
        name: "Adele Vance",
        preferred_username: "adele@northwindcsp.onmicrosoft.com",
        roles: &["Spendboard.BudgetEditor"],
        description: "Account manager, budget editor",
    },
    DemoUser {
        object_id: uuid!("a1de1e00-0000-4a00-8000-000000000002"),
        tenant_id: PARTNER_TENANT_ID,
        name: "Megan Bowen",
        preferred_username: "megan@northwindcsp.onmicrosoft.com",
        roles: &["Spendboard.Reader"],
        description: "Account manager, read-only",
    },
    DemoUser {
        object_id: uuid!("a1de1e00-0000-4a00-8000-000000000003"),
        tenant_id: PARTNER_TENANT_ID,
        name: "Lee Gu",
        preferred_username: "lee@northwindcsp.onmicrosoft.com",
        roles: &[],
        description: "No Spendboard role",
    },
    DemoUser {
        object_id: uuid!("a1de1e00-0000-4a00-8000-000000000004"),
        tenant_id: OTHER_TENANT_ID,
        name: "Pat Taylor",
        preferred_username: "pat@fabrikamtraders.onmicrosoft.com",
        roles: &["Spendboard.Reader"],
        description: "Reader of another tenant (Fabrikam Traders)",
    },
];

/// The demo user signing in as `login` (a `preferred_username`, compared case-insensitively
/// as Entra ID does).
pub fn find_by_login(login: &str) -> Option<&'static DemoUser> {
    DEMO_USERS
        .iter()
        .find(|user| user.preferred_username.eq_ignore_ascii_case(login))
}

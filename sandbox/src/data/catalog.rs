//! Fixed reference data: billing currencies and the meter catalogue that generated resources
//! draw from (also served as the Azure rate card).

/// A billing currency and how the sandbox converts it.
#[derive(Debug)]
pub struct Currency {
    /// ISO 4217 code, e.g. `SEK`.
    pub code: &'static str,
    /// The locale legacy (MS-AZR-0145P) customers report instead of the code, e.g. `sv-SE`.
    pub locale: &'static str,
    /// Decimal places a budget may carry (0 for JPY).
    pub decimals: u32,
    /// Units of this currency per US dollar, scale 4 (e.g. 105128 = 10.5128 SEK per USD).
    pub per_usd: i128,
    /// US dollars per unit of this currency, scale 6 (e.g. 95123 = 0.095123 USD per SEK).
    pub usd_rate: i128,
}

/// Every currency the sandbox bills in. The first is the partner's own (US dollars).
pub static CURRENCIES: [Currency; 5] = [
    Currency {
        code: "USD",
        locale: "en-US",
        decimals: 2,
        per_usd: 10_000,
        usd_rate: 1_000_000,
    },
    Currency {
        code: "EUR",
        locale: "fr-FR",
        decimals: 2,
        per_usd: 9_223,
        usd_rate: 1_084_213,
    },
    Currency {
        code: "GBP",
        locale: "en-GB",
        decimals: 2,
        per_usd: 7_862,
        usd_rate: 1_271_845,
    },
    Currency {
        code: "SEK",
        locale: "sv-SE",
        decimals: 2,
        per_usd: 105_128,
        usd_rate: 95_123,
    },
    Currency {
        code: "JPY",
        locale: "ja-JP",
        decimals: 0,
        per_usd: 1_489_871,
        usd_rate: 6_712,
    },
];

/// Finds a currency by its ISO code, case-insensitively.
pub fn currency_by_code(code: &str) -> Option<&'static Currency> {
    CURRENCIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
}

/// The kind of Azure resource a meter bills, which names and places the resource.
#[derive(Debug)]
pub struct ResourceKind {
    /// Resource provider namespace, e.g. `Microsoft.Compute` (the records' `resourceType`).
    pub provider: &'static str,
    /// The type segment of the resource URI, e.g. `virtualMachines`.
    pub type_path: &'static str,
    /// Prefix of generated resource names, e.g. `vm`.
    pub prefix: &'static str,
}

/// A billable meter.
#[derive(Debug)]
pub struct Meter {
    /// The meter GUID (rate card and legacy utilization `resource.id`).
    pub guid: &'static str,
    /// The composite id Azure plan meter records carry, e.g. `DZH318Z0BNVX-005J-Data Transfer In (GB)`.
    pub plan_id: &'static str,
    /// Display name (`meterName`).
    pub name: &'static str,
    /// Meter category, e.g. `Virtual Machines`.
    pub category: &'static str,
    /// Meter subcategory, e.g. `Dsv3 Series`.
    pub subcategory: &'static str,
    /// Unit of measure, e.g. `1 Hour`.
    pub unit: &'static str,
    /// Rate-card region, e.g. `EU West`.
    pub region: &'static str,
    /// Price of one unit in US dollars, scale 8.
    pub usd_price: i128,
    /// Typical quantity used per resource per day, scale 8 (the generator varies it).
    pub daily_quantity: i128,
    /// What kind of resource uses it.
    pub kind: &'static ResourceKind,
}

static VM: ResourceKind = ResourceKind {
    provider: "Microsoft.Compute",
    type_path: "virtualMachines",
    prefix: "vm",
};
static STORAGE: ResourceKind = ResourceKind {
    provider: "Microsoft.Storage",
    type_path: "storageAccounts",
    prefix: "st",
};
static SQL: ResourceKind = ResourceKind {
    provider: "Microsoft.Sql",
    type_path: "servers",
    prefix: "sql",
};
static WEB: ResourceKind = ResourceKind {
    provider: "Microsoft.Web",
    type_path: "sites",
    prefix: "app",
};
static NETWORK: ResourceKind = ResourceKind {
    provider: "Microsoft.Network",
    type_path: "publicIPAddresses",
    prefix: "pip",
};
static LOGS: ResourceKind = ResourceKind {
    provider: "Microsoft.OperationalInsights",
    type_path: "workspaces",
    prefix: "log",
};

/// The meter catalogue, in several categories.
pub static METERS: [Meter; 12] = [
    Meter {
        guid: "1e8f6d9f-8b40-4c97-80cc-cff87a290a93",
        plan_id: "DZH318Z0BQ4H-0011-D2s v3",
        name: "D2s v3",
        category: "Virtual Machines",
        subcategory: "Dsv3 Series",
        unit: "1 Hour",
        region: "EU West",
        usd_price: 11_500_000,
        daily_quantity: 2_400_000_000,
        kind: &VM,
    },
    Meter {
        guid: "2b6d1c3e-7f4a-4e8b-9c1d-0a2b3c4d5e6f",
        plan_id: "DZH318Z0BQ4H-0013-D4s v3",
        name: "D4s v3",
        category: "Virtual Machines",
        subcategory: "Dsv3 Series",
        unit: "1 Hour",
        region: "EU West",
        usd_price: 23_000_000,
        daily_quantity: 2_400_000_000,
        kind: &VM,
    },
    Meter {
        guid: "3c7e2d4f-8a5b-4f9c-8d2e-1b3c4d5e6f70",
        plan_id: "DZH318Z0BQ5S-002B-B2ms",
        name: "B2ms",
        category: "Virtual Machines",
        subcategory: "BS Series",
        unit: "1 Hour",
        region: "US East",
        usd_price: 8_320_000,
        daily_quantity: 1_800_000_000,
        kind: &VM,
    },
    Meter {
        guid: "4d8f3e5a-9b6c-4a0d-9e3f-2c4d5e6f7081",
        plan_id: "DZH318Z0BNZ5-006G-Data Stored (GB/Month)",
        name: "LRS Data Stored",
        category: "Storage",
        subcategory: "Tables",
        unit: "1 GB/Month",
        region: "EU West",
        usd_price: 4_500_000,
        daily_quantity: 9_000_000_000,
        kind: &STORAGE,
    },
    Meter {
        guid: "5e9a4f6b-0c7d-4b1e-8f4a-3d5e6f708192",
        plan_id: "DZH318Z0BP04-0008-Hot LRS Data Stored",
        name: "Hot LRS Data Stored",
        category: "Storage",
        subcategory: "General Block Blob v2",
        unit: "1 GB/Month",
        region: "US East",
        usd_price: 1_800_000,
        daily_quantity: 30_000_000_000,
        kind: &STORAGE,
    },
    Meter {
        guid: "6f0b5a7c-1d8e-4c2f-9a5b-4e6f708192a3",
        plan_id: "DZH318Z0BNVX-005J-Data Transfer In (GB)",
        name: "Data Transfer In",
        category: "Bandwidth",
        subcategory: "Bandwidth",
        unit: "1 GB",
        region: "Zone 1",
        usd_price: 0,
        daily_quantity: 500_000_000,
        kind: &NETWORK,
    },
    Meter {
        guid: "7a1c6b8d-2e9f-4d3a-8b6c-5f708192a3b4",
        plan_id: "DZH318Z0BNVX-005K-Data Transfer Out (GB)",
        name: "Data Transfer Out",
        category: "Bandwidth",
        subcategory: "Bandwidth",
        unit: "1 GB",
        region: "Zone 1",
        usd_price: 8_700_000,
        daily_quantity: 1_200_000_000,
        kind: &NETWORK,
    },
    Meter {
        guid: "8b2d7c9e-3f0a-4e4b-9c7d-608192a3b4c5",
        plan_id: "DZH318Z0BNW1-0002-Standard IPv4 Static Public IP",
        name: "Standard IPv4 Static Public IP",
        category: "Virtual Network",
        subcategory: "IP Addresses",
        unit: "1 Hour",
        region: "EU West",
        usd_price: 500_000,
        daily_quantity: 2_400_000_000,
        kind: &NETWORK,
    },
    Meter {
        guid: "9c3e8d0f-4a1b-4f5c-8d8e-7192a3b4c5d6",
        plan_id: "DZH318Z0BQ6Q-0004-S2 DTUs",
        name: "S2 DTUs",
        category: "SQL Database",
        subcategory: "Standard",
        unit: "1/Day",
        region: "EU North",
        usd_price: 241_900_000,
        daily_quantity: 100_000_000,
        kind: &SQL,
    },
    Meter {
        guid: "ad4f9e1a-5b2c-4a6d-9e9f-8192a3b4c5d7",
        plan_id: "DZH318Z0BQ6Q-0009-vCore",
        name: "General Purpose vCore",
        category: "SQL Database",
        subcategory: "Gen5",
        unit: "1 Hour",
        region: "US East",
        usd_price: 25_250_000,
        daily_quantity: 4_800_000_000,
        kind: &SQL,
    },
    Meter {
        guid: "be5a0f2b-6c3d-4b7e-8f0a-92a3b4c5d6e8",
        plan_id: "DZH318Z0BNTX-0003-P1 v3 App",
        name: "P1 v3 App",
        category: "Azure App Service",
        subcategory: "Premium v3 Plan",
        unit: "1 Hour",
        region: "EU West",
        usd_price: 16_400_000,
        daily_quantity: 2_400_000_000,
        kind: &WEB,
    },
    Meter {
        guid: "cf6b1a3c-7d4e-4c8f-9a1b-a3b4c5d6e7f9",
        plan_id: "DZH318Z0BQ1B-0007-Analytics Logs Data Ingestion",
        name: "Analytics Logs Data Ingestion",
        category: "Log Analytics",
        subcategory: "Pay-as-you-go",
        unit: "1 GB",
        region: "EU West",
        usd_price: 276_000_000,
        daily_quantity: 150_000_000,
        kind: &LOGS,
    },
];

/// Resource group names generated resources are spread over.
pub static RESOURCE_GROUPS: [&str; 8] = [
    "rg-prod-weu",
    "rg-dev-weu",
    "rg-shared-services",
    "rg-data-platform",
    "rg-web-frontend",
    "rg-identity",
    "rg-backup",
    "rg-analytics",
];

/// Middle words of generated resource names (`vm-{word}-01`).
pub static RESOURCE_WORDS: [&str; 10] = [
    "web", "api", "batch", "erp", "crm", "files", "reports", "gateway", "jobs", "cache",
];

/// Names given to the Azure subscriptions (entitlements) of an Azure plan.
pub static ENTITLEMENT_NAMES: [&str; 6] = [
    "Production",
    "Development",
    "Test & QA",
    "Shared Services",
    "Data Platform",
    "Sandbox",
];

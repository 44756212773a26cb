//! Customer company names: a few hand-written ones with accents, ampersands and angle
//! brackets (which the client must escape), then generated combinations.

use crate::random::Rng;

/// Names every dataset starts with (as many as it has room for).
static NOTABLE: [&str; 12] = [
    "Société Générale & Fils",
    "Müller <Ops> GmbH",
    "Åkerlund & Rausing AB",
    "Contoso Ltd",
    "Fabrikam, Inc.",
    "Café Olé S.à r.l.",
    "Northwind Traders",
    "Tailspin Toys",
    "Bäckerei Schön & Söhne",
    "株式会社 Sakura Systems",
    "Adventure Works Cycles",
    "O'Brien & Partners <Consulting>",
];

static FIRST: [&str; 40] = [
    "Alpine", "Blue", "Coastal", "Delta", "Emerald", "Fjord", "Granite", "Harbor", "Iris",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nordic", "Orchid", "Pioneer", "Quartz", "Riviera",
    "Summit", "Tundra", "Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zenith", "Élan", "Über",
    "Crème", "Øresund", "Amber", "Birch", "Cobalt", "Dune", "Ember", "Falcon", "Glacier", "Hazel",
    "Indigo", "Jasper",
];

static SECOND: [&str; 25] = [
    "Logistics",
    "Analytics",
    "Dynamics",
    "Foods",
    "Pharma",
    "Robotics",
    "Textiles",
    "Energy",
    "Media",
    "Capital",
    "Health",
    "Mobility",
    "Software",
    "Retail",
    "Marine",
    "Aerospace",
    "Consulting",
    "Brewing",
    "Design",
    "Security",
    "Labs",
    "Studios",
    "Freight",
    "Insurance",
    "Telecom",
];

static SUFFIX: [&str; 10] = [
    "Ltd", "GmbH", "AB", "S.A.", "Inc.", "K.K.", "& Co", "SARL", "plc", "B.V.",
];

/// `count` distinct company names, deterministic from the seed (not sorted).
pub fn company_names(seed: u64, count: usize) -> Vec<String> {
    let mut names: Vec<String> = NOTABLE.iter().take(count).map(|n| n.to_string()).collect();
    let combinations = FIRST.len() * SECOND.len() * SUFFIX.len();
    let mut rng = Rng::new(seed, 0x4E41_4D45);
    // A stride coprime with the number of combinations visits each combination once.
    let mut stride = rng.between(1, combinations as u64 - 1) as usize;
    while gcd(stride, combinations) != 1 {
        stride += 1;
    }
    let start = rng.between(0, combinations as u64 - 1) as usize;
    let mut index = 0;
    while names.len() < count {
        let combination = (start + index * stride) % combinations;
        let round = index / combinations;
        let first = FIRST[combination % FIRST.len()];
        let second = SECOND[(combination / FIRST.len()) % SECOND.len()];
        let suffix = SUFFIX[combination / (FIRST.len() * SECOND.len())];
        names.push(if round == 0 {
            format!("{first} {second} {suffix}")
        } else {
            format!("{first} {second} {} {suffix}", round + 1)
        });
        index += 1;
    }
    names
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A plausible `*.onmicrosoft.com` domain for a company name (ASCII letters and digits only).
pub fn domain_for(name: &str, index: usize) -> String {
    let stem: String = name
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            c.is_ascii_alphanumeric().then_some(c)
        })
        .take(20)
        .collect();
    let stem = if stem.is_empty() {
        "tenant".to_string()
    } else {
        stem
    };
    format!("{stem}{index}.onmicrosoft.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_names_are_distinct_and_start_with_the_notable_ones() {
        let names = company_names(42, 10_000);
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), 10_000);
        assert_eq!(names[0], "Société Générale & Fils");
        assert!(names.iter().any(|n| n.contains('<')));
    }

    #[test]
    fn domains_are_ascii() {
        assert_eq!(
            domain_for("Müller <Ops> GmbH", 3),
            "mlleropsgmbh3.onmicrosoft.com"
        );
    }
}

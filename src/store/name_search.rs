//! The dashboard's name search over one view: the folded names of every row in one buffer,
//! searched in a single pass (`memchr::memmem`, vectorised) instead of row by row. What
//! matches is exactly what a `contains` on each folded name finds.

/// Between two names in the buffer.
const SEPARATOR: char = '\n';

/// Every row's folded name, in row order, in one buffer.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    text: String,
    /// Where each row's name ends in `text` (exclusive): row `i` is `ends[i-1]+1..ends[i]`.
    ends: Vec<usize>,
}

impl NameIndex {
    /// The index of `names` (folded with [`super::search_name`]), in row order.
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = Self::default();
        for name in names {
            index.text.push_str(name);
            index.ends.push(index.text.len());
            index.text.push(SEPARATOR);
        }
        index
    }

    /// For each row, whether its name contains `pattern` (folded, not empty).
    pub(super) fn matching(&self, pattern: &str) -> Vec<bool> {
        let mut matches = vec![false; self.ends.len()];
        if pattern.contains(SEPARATOR) {
            // A match could span two names: compare name by name.
            let mut start = 0;
            for (i, &end) in self.ends.iter().enumerate() {
                matches[i] = self.text[start..end].contains(pattern);
                start = end + SEPARATOR.len_utf8();
            }
            return matches;
        }
        // Without the separator in it, a match lies within one name.
        for at in memchr::memmem::find_iter(self.text.as_bytes(), pattern.as_bytes()) {
            matches[self.ends.partition_point(|&end| end <= at)] = true;
        }
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(names: &[&str], pattern: &str) -> Vec<bool> {
        NameIndex::new(names.iter().copied()).matching(pattern)
    }

    #[test]
    fn each_row_whose_name_contains_the_pattern_matches_and_no_other() {
        let names = [
            "contoso gmbh",
            "fabrikam",
            "gmbh",
            "",
            "adatum gmb",
            "h gmbh gmbh",
        ];
        for pattern in ["gmbh", "a", "m g", "contoso gmbh", "zzz", "b", "h"] {
            let expected: Vec<bool> = names.iter().map(|n| n.contains(pattern)).collect();
            assert_eq!(found(&names, pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn a_match_never_spans_two_names() {
        assert_eq!(found(&["adatum gmb", "h"], "gmbh"), [false, false]);
        assert_eq!(found(&["a\nb", "c"], "a\nb"), [true, false]);
        assert_eq!(found(&["a", "b"], "a\nb"), [false, false]);
    }
}

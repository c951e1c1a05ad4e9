//! "Did you mean …?" for unknown keys: the nearest known key by edit
//! distance.

/// The Levenshtein distance between `a` and `b`, counted in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the edit-distance table, reused for every character of `a`.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The candidate nearest to `word`, compared without regard to case, if it
/// is close enough to be a plausible typo: at most a third of the word's
/// length away, and never more than 2 edits for short words.
pub(crate) fn nearest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    let word = word.to_ascii_uppercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (distance(&word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("LOG_ROTATE_DAYLY", "LOG_ROTATE_DAILY"), 1);
        assert_eq!(distance("flaw", "lawn"), 2);
    }

    #[test]
    fn nearest_picks_the_closest_plausible_candidate() {
        let known: Vec<String> = ["LOG_LEVEL", "LOG_FILE", "LOG_ROTATE_DAILY"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            nearest("LOG_ROTATE_DAYLY", &known),
            Some("LOG_ROTATE_DAILY")
        );
        assert_eq!(nearest("log_level", &known), Some("LOG_LEVEL"));
        assert_eq!(nearest("LOG_FILES", &known), Some("LOG_FILE"));
        assert_eq!(nearest("PATH", &known), None);
    }
}

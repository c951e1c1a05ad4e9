//! Saying which lines changed: the file's lines against the per-line
//! digests its seal entries hold.
//!
//! The common beginning and end are set aside; what remains between them is
//! named by its shape: sealed lines missing (deleted, or cut off at the end:
//! truncated), lines the seal does not know (inserted), the same lines in
//! another order (reordered), or lines in place whose content differs
//! (modified). Lines are numbered from 1 as in the file now; deleted lines
//! also by where they were.

/// One line of the file: its digest and whether it ends in a newline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub(crate) digest: u32,
    pub(crate) complete: bool,
}

/// The lines of `data` with their digests, each in the seal format
/// `format_at` gives for the byte offset the line starts at (a file
/// written across an upgrade holds entries of both formats).
pub(crate) fn lines(data: &[u8], format_at: impl Fn(u64) -> u32) -> Vec<Line> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let rest = &data[at..];
        let v = format_at(at as u64);
        match memchr(rest) {
            Some(i) => {
                out.push(Line {
                    digest: logward::sink::seal::line_digest(v, &rest[..i]),
                    complete: true,
                });
                at += i + 1;
            }
            None => {
                out.push(Line {
                    digest: logward::sink::seal::line_digest(v, rest),
                    complete: false,
                });
                at = data.len();
            }
        }
    }
    out
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// What differs, as `(line, message)`, `line` the first line concerned.
pub(crate) fn describe(sealed: &[u32], actual: &[Line]) -> Vec<String> {
    let prefix = sealed
        .iter()
        .zip(actual)
        .take_while(|(s, a)| a.complete && **s == a.digest)
        .count();
    let sealed_rest = &sealed[prefix..];
    let actual_rest = &actual[prefix..];
    let suffix = sealed_rest
        .iter()
        .rev()
        .zip(actual_rest.iter().rev())
        .take_while(|(s, a)| a.complete && **s == a.digest)
        .count();
    let sealed_mid = &sealed_rest[..sealed_rest.len() - suffix];
    let actual_mid = &actual_rest[..actual_rest.len() - suffix];
    let first = prefix + 1;
    let mut found = Vec::new();
    match (sealed_mid.len(), actual_mid.len()) {
        (0, 0) => {}
        (0, n) if suffix == 0 => found.push(format!(
            "{}: {} not sealed (after the last sealed line; appended later, or written \
             just before a crash)",
            span(first, n),
            plural(n, "line")
        )),
        (0, n) => found.push(format!(
            "{}: {} inserted",
            span(first, n),
            plural(n, "line")
        )),
        (n, m) if suffix == 0 && (m == 0 || (m == 1 && !actual_mid[0].complete)) => {
            found.push(format!(
                "truncated at line {first}: {} sealed {} missing from the end (sealed lines {})",
                n,
                if n == 1 { "line is" } else { "lines are" },
                range(first, n)
            ));
        }
        (n, 0) => found.push(format!(
            "{} deleted before line {first} (sealed lines {})",
            plural(n, "line"),
            range(first, n)
        )),
        (n, m) if n == m => {
            let mut a: Vec<u32> = actual_mid.iter().map(|l| l.digest).collect();
            let mut s = sealed_mid.to_vec();
            a.sort_unstable();
            s.sort_unstable();
            if a == s {
                found.push(format!("{}: reordered", span(first, n)));
            } else {
                let mut i = 0;
                while i < n {
                    if sealed_mid[i] == actual_mid[i].digest && actual_mid[i].complete {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < n
                        && !(sealed_mid[i] == actual_mid[i].digest && actual_mid[i].complete)
                    {
                        i += 1;
                    }
                    found.push(format!("{}: modified", span(first + start, i - start)));
                }
            }
        }
        (n, m) => found.push(format!(
            "{}: replaced ({} sealed lines {} changed into {m})",
            span(first, m),
            n,
            range(first, n)
        )),
    }
    found
}

fn span(first: usize, n: usize) -> String {
    if n == 1 {
        format!("line {first}")
    } else {
        format!("lines {}", range(first, n))
    }
}

fn range(first: usize, n: usize) -> String {
    if n == 1 {
        first.to_string()
    } else {
        format!("{first}-{}", first + n - 1)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Vec<Line> {
        lines(text.as_bytes(), |_| logward::sink::seal::FORMAT)
    }

    fn sealed(text: &str) -> Vec<u32> {
        file(text).iter().map(|l| l.digest).collect()
    }

    #[test]
    fn names_each_shape() {
        let s = sealed("a\nb\nc\nd\ne\n");
        assert!(describe(&s, &file("a\nb\nc\nd\ne\n")).is_empty());
        assert_eq!(describe(&s, &file("a\nB\nc\nd\ne\n")), ["line 2: modified"]);
        assert_eq!(
            describe(&s, &file("a\nb\nx\nc\nd\ne\n")),
            ["line 3: 1 line inserted"]
        );
        assert_eq!(
            describe(&s, &file("a\ne\n")),
            ["3 lines deleted before line 2 (sealed lines 2-4)"]
        );
        assert_eq!(
            describe(&s, &file("a\nd\nc\nb\ne\n")),
            ["lines 2-4: reordered"]
        );
        assert_eq!(
            describe(&s, &file("a\nb\nc")),
            ["truncated at line 3: 3 sealed lines are missing from the end (sealed lines 3-5)"]
        );
        assert_eq!(
            describe(&s, &file("a\nb\nc\nd\ne\nf\n")),
            [
                "line 6: 1 line not sealed (after the last sealed line; appended later, or \
                 written just before a crash)"
            ]
        );
    }
}

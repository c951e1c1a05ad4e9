//! Record filters in Cloudflare Logpush's filter language, so that an
//! operator can paste a filter written for Logpush.
//!
//! ```text
//! {"where":{"and":[{"key":"log_type","operator":"eq","value":"web"},
//!                  {"or":[{"key":"status_code","operator":"geq","value":500},
//!                         {"key":"path","operator":"startsWith","value":"/admin"}]}]}}
//! ```
//!
//! A filter is `{"where": NODE}`; a node is `{"and": [NODE, …]}`,
//! `{"or": [NODE, …]}` or a test `{"key": K, "operator": OP, "value": V}`
//! on the record's field `K` (records are flat: a key is a field name).
//! The text may also be the JSON string that Logpush's API carries
//! (`"{\"where\":…}"`), as copied from a job's configuration.
//!
//! | operator | field | value |
//! |---|---|---|
//! | `eq`, `!eq` | string, number, bool | string, number or bool; a number also as a string (`"30"`) |
//! | `lt`, `leq`, `gt`, `geq` | number | number, also as a string |
//! | `startsWith`, `endsWith`, `!startsWith`, `!endsWith` | string | string |
//! | `contains`, `!contains` | string (substring) or array (element) | string, or a number for an array |
//! | `in`, `!in` | string or number | a non-empty array of strings and numbers |
//!
//! Decisions where Logpush says nothing:
//!
//! - comparisons are case-sensitive; numbers compare by value (`200` equals
//!   `200.0` and `"200"`), integers exactly, whatever their size;
//! - a field that is absent or `null`, or whose type the operator does not
//!   take, fails every positive test (`eq`, `lt`, `startsWith`, `contains`,
//!   `in`, …) and passes every negated one (`!eq`, `!startsWith`,
//!   `!contains`, `!in`): "not equal to 500" holds for a record without a
//!   status code;
//! - `in` takes an array only (Logpush's API refuses `"200,201"` too).
//!
//! Limits: Logpush allows about 30 operators and 1,000 bytes of filter.
//! logward allows more, so that a Logpush filter always fits: up to
//! [`MAX_TESTS`] tests, [`MAX_DEPTH`] levels of `and`/`or` nesting and
//! [`MAX_BYTES`] bytes of text.
//!
//! A bad filter is a [`FilterError`] that says where (the line and column
//! of a JSON syntax error, or the path of the node, such as
//! `where.and[1].or[0].operator`) and what is allowed there.

mod build;
mod eval;
mod parse;

use serde_json::{Map, Value};

pub use parse::FilterError;

/// The most tests (`{"key", "operator", "value"}` objects) in one filter.
pub(crate) const MAX_TESTS: usize = 200;
/// The deepest nesting of `and`/`or` nodes in one filter.
pub(crate) const MAX_DEPTH: usize = 16;
/// The longest filter text, in bytes.
pub(crate) const MAX_BYTES: usize = 16 * 1024;

/// A parsed filter: decides which records it selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    root: Node,
    text: String,
}

impl Filter {
    /// Parses `text`, a filter in Logpush's language (see the module docs).
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let root = parse::parse(text)?;
        Ok(Filter {
            root,
            text: text.trim().to_string(),
        })
    }

    /// The filter as it was given, trimmed: what a manifest or a health
    /// report shows.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the record `fields` is selected.
    pub fn matches(&self, fields: &Map<String, Value>) -> bool {
        eval::matches(&self.root, fields)
    }

    /// Whether the JSON line `line` is a record this filter selects; a line
    /// that is not a JSON object is never selected.
    pub fn matches_line(&self, line: &[u8]) -> bool {
        serde_json::from_slice::<Map<String, Value>>(line)
            .map(|fields| self.matches(&fields))
            .unwrap_or(false)
    }
}

/// A node of the filter's tree.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Test(Test),
}

/// One `{"key", "operator", "value"}` test.
#[derive(Debug, Clone, PartialEq)]
struct Test {
    key: String,
    operator: Operator,
    operand: Operand,
}

/// Logpush's comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    NotEq,
    Lt,
    Leq,
    Gt,
    Geq,
    StartsWith,
    EndsWith,
    NotStartsWith,
    NotEndsWith,
    Contains,
    NotContains,
    In,
    NotIn,
}

impl Operator {
    /// Every operator with its notation, in the order of Logpush's table.
    const ALL: [(&'static str, Operator); 14] = [
        ("eq", Operator::Eq),
        ("!eq", Operator::NotEq),
        ("lt", Operator::Lt),
        ("leq", Operator::Leq),
        ("gt", Operator::Gt),
        ("geq", Operator::Geq),
        ("startsWith", Operator::StartsWith),
        ("endsWith", Operator::EndsWith),
        ("!startsWith", Operator::NotStartsWith),
        ("!endsWith", Operator::NotEndsWith),
        ("contains", Operator::Contains),
        ("!contains", Operator::NotContains),
        ("in", Operator::In),
        ("!in", Operator::NotIn),
    ];

    /// The operator a negated one negates, or `None` for a positive one.
    fn negates(self) -> Option<Operator> {
        Some(match self {
            Operator::NotEq => Operator::Eq,
            Operator::NotStartsWith => Operator::StartsWith,
            Operator::NotEndsWith => Operator::EndsWith,
            Operator::NotContains => Operator::Contains,
            Operator::NotIn => Operator::In,
            _ => return None,
        })
    }
}

/// A test's value, checked against what its operator takes.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `eq`, `!eq`, `contains`, `!contains`: one value.
    Scalar(Scalar),
    /// `lt`, `leq`, `gt`, `geq`: a number.
    Number(Number),
    /// `startsWith`, `endsWith` and their negations: a string.
    Text(String),
    /// `in`, `!in`: the values, any of which matches.
    List(Vec<Scalar>),
}

/// A value a field is compared with.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    /// A string; it also matches a numeric field when it is a number's text.
    Text(String),
    Number(Number),
    Bool(bool),
}

/// A number: integers are compared exactly, others as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Int(i128),
    Float(f64),
}

#[cfg(test)]
mod tests;

//! Filter text to a checked tree, with errors that say where and what is
//! allowed there.

use std::fmt;

use serde_json::{Map, Value};

use super::{MAX_BYTES, MAX_DEPTH, MAX_TESTS, Node, Number, Operand, Operator, Scalar, Test};

/// A filter that cannot be used: where the problem is and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    at: String,
    reason: String,
}

impl FilterError {
    fn new(at: impl Into<String>, reason: impl Into<String>) -> Self {
        FilterError {
            at: at.into(),
            reason: reason.into(),
        }
    }

    /// Where the problem is: `line L, column C` of the text, or the path of
    /// the node (`where.and[1].operator`).
    pub fn at(&self) -> &str {
        &self.at
    }

    /// What is wrong and what is allowed.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter, at {}: {}", self.at, self.reason)
    }
}

impl std::error::Error for FilterError {}

/// Parses and checks a filter's text.
pub(super) fn parse(text: &str) -> Result<Node, FilterError> {
    if text.len() > MAX_BYTES {
        return Err(FilterError::new(
            "the whole text",
            format!("{} bytes, more than the {MAX_BYTES} allowed", text.len()),
        ));
    }
    let mut value = json(text)?;
    // Logpush's API carries the filter as a JSON string holding the JSON.
    if let Value::String(inner) = value {
        value = json(&inner)?;
    }
    let Value::Object(mut top) = value else {
        return Err(FilterError::new(
            "the top level",
            format!(
                "a filter is an object {{\"where\": …}}, not {}",
                kind(&value)
            ),
        ));
    };
    let root = top
        .remove("where")
        .ok_or_else(|| FilterError::new("the top level", "a filter is an object {\"where\": …}"))?;
    if let Some(other) = top.keys().next() {
        return Err(FilterError::new(
            "the top level",
            format!("unknown key {other:?}: only \"where\" is allowed"),
        ));
    }
    let mut parser = Parser { tests: 0 };
    parser.node(root, "where", 0)
}

fn json(text: &str) -> Result<Value, FilterError> {
    serde_json::from_str(text).map_err(|e| {
        FilterError::new(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON: {e}"),
        )
    })
}

struct Parser {
    tests: usize,
}

impl Parser {
    fn node(&mut self, value: Value, path: &str, depth: usize) -> Result<Node, FilterError> {
        let Value::Object(mut object) = value else {
            return Err(FilterError::new(
                path,
                format!(
                    "expected an object: {{\"and\": […]}}, {{\"or\": […]}} or {{\"key\", \"operator\", \"value\"}}; found {}",
                    kind(&value)
                ),
            ));
        };
        for (word, both) in [("and", true), ("or", false)] {
            if let Some(children) = object.remove(word) {
                if let Some(other) = object.keys().next() {
                    return Err(FilterError::new(
                        path,
                        format!("{other:?} beside {word:?}: an {word} node holds only its list"),
                    ));
                }
                let children = self.children(children, &format!("{path}.{word}"), depth)?;
                return Ok(if both {
                    Node::And(children)
                } else {
                    Node::Or(children)
                });
            }
        }
        self.test(object, path).map(Node::Test)
    }

    fn children(
        &mut self,
        value: Value,
        path: &str,
        depth: usize,
    ) -> Result<Vec<Node>, FilterError> {
        if depth + 1 > MAX_DEPTH {
            return Err(FilterError::new(
                path,
                format!("nested deeper than the {MAX_DEPTH} levels of and/or allowed"),
            ));
        }
        let Value::Array(items) = value else {
            return Err(FilterError::new(
                path,
                format!("expected a list of nodes, found {}", kind(&value)),
            ));
        };
        if items.is_empty() {
            return Err(FilterError::new(
                path,
                "an empty list: give at least one node",
            ));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| self.node(item, &format!("{path}[{i}]"), depth + 1))
            .collect()
    }

    fn test(&mut self, mut object: Map<String, Value>, path: &str) -> Result<Test, FilterError> {
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(FilterError::new(
                path,
                format!("more than the {MAX_TESTS} tests allowed in one filter"),
            ));
        }
        if let Some(other) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "key" | "operator" | "value"))
        {
            return Err(FilterError::new(
                path,
                format!(
                    "unknown key {other:?}: a node is {{\"and\": […]}}, {{\"or\": […]}} or {{\"key\", \"operator\", \"value\"}}"
                ),
            ));
        }
        let key = match object.remove("key") {
            Some(Value::String(key)) if !key.is_empty() => key,
            Some(Value::String(_)) => {
                return Err(FilterError::new(
                    format!("{path}.key"),
                    "an empty field name",
                ));
            }
            Some(other) => {
                return Err(FilterError::new(
                    format!("{path}.key"),
                    format!("a field name is a string, not {}", kind(&other)),
                ));
            }
            None => {
                return Err(FilterError::new(
                    path,
                    "a test needs \"key\" (the field name)",
                ));
            }
        };
        let operator = match object.remove("operator") {
            Some(Value::String(name)) => operator(&name, &format!("{path}.operator"))?,
            Some(other) => {
                return Err(FilterError::new(
                    format!("{path}.operator"),
                    format!(
                        "an operator is a string, not {}; {}",
                        kind(&other),
                        allowed_operators()
                    ),
                ));
            }
            None => {
                return Err(FilterError::new(
                    path,
                    format!("a test needs \"operator\"; {}", allowed_operators()),
                ));
            }
        };
        let value = object
            .remove("value")
            .ok_or_else(|| FilterError::new(path, "a test needs \"value\""))?;
        let operand = operand(operator, value, &format!("{path}.value"))?;
        Ok(Test {
            key,
            operator,
            operand,
        })
    }
}

/// The operators, as an error lists them.
fn allowed_operators() -> String {
    let names: Vec<&str> = Operator::ALL.iter().map(|(name, _)| *name).collect();
    format!("allowed: {}", names.join(", "))
}

fn operator(name: &str, path: &str) -> Result<Operator, FilterError> {
    Operator::ALL
        .iter()
        .find(|(notation, _)| *notation == name)
        .map(|(_, operator)| *operator)
        .ok_or_else(|| {
            FilterError::new(
                path,
                format!(
                    "unknown operator {name:?} (operators are case-sensitive); {}",
                    allowed_operators()
                ),
            )
        })
}

fn operand(operator: Operator, value: Value, path: &str) -> Result<Operand, FilterError> {
    let positive = operator.negates().unwrap_or(operator);
    let name = Operator::ALL
        .iter()
        .find(|(_, o)| *o == operator)
        .map_or("", |(n, _)| *n);
    match positive {
        Operator::Eq => scalar(&value).map(Operand::Scalar).ok_or_else(|| {
            FilterError::new(
                path,
                format!(
                    "{name} takes a string, a number or a bool, not {}",
                    kind(&value)
                ),
            )
        }),
        Operator::Lt | Operator::Leq | Operator::Gt | Operator::Geq => match scalar(&value) {
            Some(Scalar::Number(n)) => Ok(Operand::Number(n)),
            Some(Scalar::Text(text)) => number_text(&text).map(Operand::Number).ok_or_else(|| {
                FilterError::new(
                    path,
                    format!("{name} takes a number (also as a string), not the string {text:?}"),
                )
            }),
            _ => Err(FilterError::new(
                path,
                format!(
                    "{name} takes a number (also as a string), not {}",
                    kind(&value)
                ),
            )),
        },
        Operator::StartsWith | Operator::EndsWith => match value {
            Value::String(text) => Ok(Operand::Text(text)),
            other => Err(FilterError::new(
                path,
                format!("{name} takes a string, not {}", kind(&other)),
            )),
        },
        Operator::Contains => match scalar(&value) {
            Some(s @ (Scalar::Text(_) | Scalar::Number(_))) => Ok(Operand::Scalar(s)),
            _ => Err(FilterError::new(
                path,
                format!(
                    "{name} takes a string (or a number, for an array field), not {}",
                    kind(&value)
                ),
            )),
        },
        _ => list(value, name, path).map(Operand::List),
    }
}

fn list(value: Value, name: &str, path: &str) -> Result<Vec<Scalar>, FilterError> {
    let Value::Array(items) = value else {
        return Err(FilterError::new(
            path,
            format!(
                "{name} takes an array of strings and numbers, such as [200,201], not {}",
                kind(&value)
            ),
        ));
    };
    if items.is_empty() {
        return Err(FilterError::new(
            path,
            format!("{name} takes a non-empty array"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match scalar(item) {
            Some(s @ (Scalar::Text(_) | Scalar::Number(_))) => Ok(s),
            _ => Err(FilterError::new(
                format!("{path}[{i}]"),
                format!("{name} takes strings and numbers, not {}", kind(item)),
            )),
        })
        .collect()
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(text) => Some(Scalar::Text(text.clone())),
        Value::Number(n) => number(n).map(Scalar::Number),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        _ => None,
    }
}

/// A JSON number as a [`Number`].
pub(super) fn number(n: &serde_json::Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        return Some(Number::Int(i128::from(i)));
    }
    if let Some(u) = n.as_u64() {
        return Some(Number::Int(i128::from(u)));
    }
    n.as_f64().map(Number::Float)
}

/// A string that is a number's text, as a [`Number`].
pub(super) fn number_text(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i128>() {
        return Some(Number::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Float)
}

/// How an error names a JSON value's kind.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

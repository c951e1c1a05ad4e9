//! Deciding whether a record passes a filter.

use serde_json::{Map, Value};

use super::parse::{number, number_text};
use super::{Node, Number, Operand, Operator, Scalar, Test};

/// Whether `fields` passes `node`.
pub(super) fn matches(node: &Node, fields: &Map<String, Value>) -> bool {
    match node {
        Node::And(children) => children.iter().all(|child| matches(child, fields)),
        Node::Or(children) => children.iter().any(|child| matches(child, fields)),
        Node::Test(test) => passes(test, fields.get(&test.key).filter(|v| !v.is_null())),
    }
}

fn passes(test: &Test, field: Option<&Value>) -> bool {
    match test.operator.negates() {
        Some(_) => !positive(test, field),
        None => positive(test, field),
    }
}

/// The positive form of the test: a negated operator's result is its
/// opposite, so an absent field passes every negated test.
fn positive(test: &Test, field: Option<&Value>) -> bool {
    let Some(field) = field else {
        return false;
    };
    let operator = test.operator.negates().unwrap_or(test.operator);
    match (&test.operand, operator) {
        (Operand::Scalar(value), Operator::Eq) => equals(field, value),
        (Operand::Number(bound), _) => field_number(field).is_some_and(|n| {
            let order = compare(n, *bound);
            match operator {
                Operator::Lt => order.is_lt(),
                Operator::Leq => order.is_le(),
                Operator::Gt => order.is_gt(),
                _ => order.is_ge(),
            }
        }),
        (Operand::Text(affix), Operator::StartsWith) => field
            .as_str()
            .is_some_and(|text| text.starts_with(affix.as_str())),
        (Operand::Text(affix), _) => field
            .as_str()
            .is_some_and(|text| text.ends_with(affix.as_str())),
        (Operand::Scalar(value), _) => match (field, value) {
            (Value::String(text), Scalar::Text(part)) => text.contains(part.as_str()),
            (Value::Array(items), value) => items.iter().any(|item| equals(item, value)),
            _ => false,
        },
        (Operand::List(values), _) => values.iter().any(|value| equals(field, value)),
    }
}

/// `eq`: the same value, numbers by value also when one side is a number's text.
fn equals(field: &Value, value: &Scalar) -> bool {
    match (field, value) {
        (Value::String(text), Scalar::Text(other)) => text == other,
        (Value::Bool(b), Scalar::Bool(other)) => b == other,
        (Value::Bool(b), Scalar::Text(other)) => {
            other.as_str() == if *b { "true" } else { "false" }
        }
        (Value::Number(n), Scalar::Number(other)) => {
            number(n).is_some_and(|n| compare(n, *other).is_eq())
        }
        (Value::Number(n), Scalar::Text(other)) => number(n)
            .zip(number_text(other))
            .is_some_and(|(n, other)| compare(n, other).is_eq()),
        (Value::String(text), Scalar::Number(other)) => {
            number_text(text).is_some_and(|n| compare(n, *other).is_eq())
        }
        _ => false,
    }
}

fn field_number(field: &Value) -> Option<Number> {
    match field {
        Value::Number(n) => number(n),
        _ => None,
    }
}

fn compare(a: Number, b: Number) -> std::cmp::Ordering {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => a.cmp(&b),
        // Neither side is NaN: JSON has none and number texts must be finite.
        (a, b) => as_f64(a)
            .partial_cmp(&as_f64(b))
            .unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn as_f64(n: Number) -> f64 {
    match n {
        // Precision is lost only beyond 2^53, where no float bound is exact either.
        Number::Int(i) => i as f64,
        Number::Float(f) => f,
    }
}

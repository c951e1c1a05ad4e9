//! Filters made in code rather than parsed: the field selectors of
//! `bundle` and `show` (`--request-id`, `--user`, `--where`) become tests of
//! the same language, so one evaluator decides every selection.
//!
//! A built filter has a text like a parsed one (the filter it is, in
//! Logpush's language), so that what selected the records can be shown.

use serde_json::{Value, json};

use super::{Filter, Node, Operand, Operator, Scalar, Test};

impl Filter {
    /// Keeps records whose field `key` equals one of `values`, compared as
    /// `eq` compares (a number field also matches its text, `"42"`).
    pub fn field_in(key: &str, values: &[String]) -> Filter {
        let (operator, operand, value) = match values {
            [one] => (
                Operator::Eq,
                Operand::Scalar(Scalar::Text(one.clone())),
                json!(one),
            ),
            _ => (
                Operator::In,
                Operand::List(values.iter().cloned().map(Scalar::Text).collect()),
                json!(values),
            ),
        };
        let name = if operator == Operator::Eq { "eq" } else { "in" };
        Filter {
            root: Node::Test(Test {
                key: key.to_string(),
                operator,
                operand,
            }),
            text: json!({"where": {"key": key, "operator": name, "value": value}}).to_string(),
        }
    }

    /// Keeps the records that every one of `filters` keeps.
    pub fn all_of(filters: Vec<Filter>) -> Filter {
        Filter::combine("and", filters, Node::And)
    }

    /// Keeps the records that any one of `filters` keeps.
    pub fn any_of(filters: Vec<Filter>) -> Filter {
        Filter::combine("or", filters, Node::Or)
    }

    fn combine(name: &str, filters: Vec<Filter>, node: fn(Vec<Node>) -> Node) -> Filter {
        let wheres: Vec<Value> = filters.iter().map(Filter::where_value).collect();
        Filter {
            root: node(filters.into_iter().map(|f| f.root).collect()),
            text: json!({"where": {name: wheres}}).to_string(),
        }
    }

    /// The `where` node of the filter's text, as JSON (the text was valid
    /// when the filter was made, also in the JSON-string form).
    fn where_value(&self) -> Value {
        let mut value: Value = serde_json::from_str(&self.text).unwrap_or(Value::Null);
        if let Value::String(inner) = &value {
            value = serde_json::from_str(inner).unwrap_or(Value::Null);
        }
        value.get("where").cloned().unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn record(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn built_filters_select_like_their_text_parsed() {
        let user = Filter::any_of(vec![
            Filter::field_in("user_name", &["42".to_string()]),
            Filter::field_in("user_id", &["42".to_string()]),
        ]);
        let pasted = Filter::parse(
            r#""{\"where\":{\"key\":\"log_type\",\"operator\":\"eq\",\"value\":\"web\"}}""#,
        )
        .unwrap();
        let both = Filter::all_of(vec![
            pasted,
            user,
            Filter::field_in("method", &["GET".into(), "POST".into()]),
        ]);
        let reparsed = Filter::parse(both.text()).unwrap();
        for (fields, kept) in [
            (json!({"log_type":"web","user_id":42,"method":"GET"}), true),
            (
                json!({"log_type":"web","user_name":"42","method":"POST"}),
                true,
            ),
            (
                json!({"log_type":"web","user_name":"ann","method":"GET"}),
                false,
            ),
            (
                json!({"log_type":"audit","user_id":42,"method":"GET"}),
                false,
            ),
            (json!({"log_type":"web","user_id":42,"method":"PUT"}), false),
        ] {
            let fields = record(fields);
            assert_eq!(both.matches(&fields), kept, "{fields:?}");
            assert_eq!(reparsed.matches(&fields), kept, "{fields:?}");
        }
    }
}

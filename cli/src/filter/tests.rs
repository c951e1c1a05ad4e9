use serde_json::{Map, Value, json};

use super::{Filter, MAX_DEPTH, MAX_TESTS};

fn record() -> Map<String, Value> {
    let Value::Object(fields) = json!({
        "id": "5b7c0f0e-8f3a-4b8e-9c1d-2a6f4e1b9d30",
        "created_at": "2026-11-22T04:30:00.123456Z",
        "hostname": "web-1",
        "level": "warning",
        "log_type": "web",
        "pid": 4242,
        "method": "GET",
        "path": "/api/items",
        "status_code": 404,
        "duration_ms": 12.5,
        "access_granted": false,
        "tags": ["blue", "green", 7],
        "user_name": null
    }) else {
        unreachable!("a literal object")
    };
    fields
}

fn test(key: &str, operator: &str, value: Value) -> String {
    json!({"where": {"key": key, "operator": operator, "value": value}}).to_string()
}

fn selects(text: &str) -> bool {
    Filter::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .matches(&record())
}

fn error(text: &str) -> String {
    match Filter::parse(text) {
        Ok(filter) => panic!("{text} parsed as {filter:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_operator_selects_what_logpush_documents() {
    let cases = [
        ("log_type", "eq", json!("web"), true),
        ("log_type", "eq", json!("Web"), false),
        ("status_code", "eq", json!(404), true),
        ("status_code", "eq", json!("404"), true),
        ("status_code", "eq", json!(404.0), true),
        ("access_granted", "eq", json!(false), true),
        ("access_granted", "eq", json!("false"), true),
        ("log_type", "!eq", json!("audit"), true),
        ("status_code", "!eq", json!(404), false),
        ("status_code", "lt", json!(500), true),
        ("status_code", "lt", json!("404"), false),
        ("status_code", "leq", json!("404"), true),
        ("status_code", "gt", json!(403), true),
        ("status_code", "gt", json!(404), false),
        ("status_code", "geq", json!(404), true),
        ("duration_ms", "gt", json!(12), true),
        ("duration_ms", "lt", json!("12.6"), true),
        ("path", "startsWith", json!("/api"), true),
        ("path", "startsWith", json!("/API"), false),
        ("path", "endsWith", json!("/items"), true),
        ("path", "!startsWith", json!("/api"), false),
        ("path", "!startsWith", json!("/admin"), true),
        ("path", "!endsWith", json!("/items"), false),
        ("path", "contains", json!("pi/it"), true),
        ("path", "!contains", json!("pi/it"), false),
        ("tags", "contains", json!("green"), true),
        ("tags", "contains", json!(7), true),
        ("tags", "contains", json!("gree"), false),
        ("tags", "!contains", json!("red"), true),
        ("status_code", "in", json!([200, 404]), true),
        ("status_code", "in", json!(["200", "404"]), true),
        ("method", "in", json!(["POST", "PUT"]), false),
        ("method", "!in", json!(["POST", "PUT"]), true),
        ("method", "!in", json!(["GET"]), false),
    ];
    for (key, operator, value, expected) in cases {
        let text = test(key, operator, value);
        assert_eq!(selects(&text), expected, "{text}");
    }
}

#[test]
fn an_absent_or_null_field_fails_positive_tests_and_passes_negated_ones() {
    for field in ["missing", "user_name"] {
        for (operator, value, expected) in [
            ("eq", json!("x"), false),
            ("!eq", json!("x"), true),
            ("lt", json!(1), false),
            ("startsWith", json!("x"), false),
            ("!startsWith", json!("x"), true),
            ("!endsWith", json!("x"), true),
            ("contains", json!("x"), false),
            ("!contains", json!("x"), true),
            ("in", json!(["x"]), false),
            ("!in", json!(["x"]), true),
        ] {
            let text = test(field, operator, value);
            assert_eq!(selects(&text), expected, "{text}");
        }
    }
}

#[test]
fn a_field_of_another_type_fails_the_test() {
    assert!(!selects(&test("path", "gt", json!(1))));
    assert!(!selects(&test("status_code", "startsWith", json!("4"))));
    assert!(!selects(&test("status_code", "contains", json!("4"))));
    assert!(selects(&test("status_code", "!startsWith", json!("4"))));
}

#[test]
fn and_and_or_nest() {
    let text = r#"{"where":{"and":[
        {"key":"log_type","operator":"eq","value":"web"},
        {"or":[{"key":"status_code","operator":"geq","value":500},
               {"and":[{"key":"method","operator":"eq","value":"GET"},
                       {"key":"path","operator":"startsWith","value":"/api"}]}]}]}}"#;
    assert!(selects(text));
    let no_or = text.replace("\"GET\"", "\"POST\"");
    assert!(!selects(&no_or));
    let no_and = text.replace("\"web\"", "\"audit\"");
    assert!(!selects(&no_and));
}

#[test]
fn the_api_s_escaped_string_form_is_accepted() {
    let inner = test("status_code", "eq", json!(404));
    let escaped = serde_json::to_string(&inner).expect("a string");
    assert!(escaped.starts_with("\"{\\\"where"));
    assert!(selects(&escaped));
}

#[test]
fn matches_line_parses_the_record_and_refuses_what_is_no_object() {
    let filter = Filter::parse(&test("status_code", "eq", json!(404))).expect("a filter");
    let line = serde_json::to_vec(&record()).expect("json");
    assert!(filter.matches_line(&line));
    assert!(!filter.matches_line(b"not json"));
    assert!(!filter.matches_line(b"[404]"));
}

#[test]
fn errors_say_where_and_what_is_allowed() {
    let cases = [
        ("{\"where\":", "at line 1, column 9: not valid JSON"),
        (
            "[]",
            "at the top level: a filter is an object {\"where\": …}, not an array",
        ),
        ("{\"wher\":{}}", "at the top level: a filter is an object"),
        (
            r#"{"where":{"key":"a","operator":"eq","value":1},"limit":3}"#,
            "unknown key \"limit\": only \"where\" is allowed",
        ),
        (
            r#"{"where":{"and":[{"key":"a","operator":"eq","value":1},{"key":"b","operator":"equals","value":1}]}}"#,
            "at where.and[1].operator: unknown operator \"equals\" (operators are case-sensitive); allowed: eq, !eq, lt, leq, gt, geq, startsWith, endsWith, !startsWith, !endsWith, contains, !contains, in, !in",
        ),
        (
            r#"{"where":{"or":[{"and":[{"key":"a","operator":"lt","value":"ten"}]}]}}"#,
            "at where.or[0].and[0].value: lt takes a number (also as a string), not the string \"ten\"",
        ),
        (
            r#"{"where":{"key":"status_code","operator":"in","value":"200,201"}}"#,
            "at where.value: in takes an array of strings and numbers, such as [200,201], not a string",
        ),
        (
            r#"{"where":{"key":"a","operator":"!in","value":[1,{}]}}"#,
            "at where.value[1]: !in takes strings and numbers, not an object",
        ),
        (r#"{"where":{"and":[]}}"#, "at where.and: an empty list"),
        (
            r#"{"where":{"key":"a","operator":"eq"}}"#,
            "at where: a test needs \"value\"",
        ),
        (
            r#"{"where":{"operator":"eq","value":1}}"#,
            "at where: a test needs \"key\"",
        ),
        (
            r#"{"where":{"key":"","operator":"eq","value":1}}"#,
            "at where.key: an empty field name",
        ),
        (
            r#"{"where":{"key":"a","operator":"startsWith","value":3}}"#,
            "at where.value: startsWith takes a string, not a number",
        ),
        (
            r#"{"where":{"key":"a","operator":"eq","value":null}}"#,
            "at where.value: eq takes a string, a number or a bool, not null",
        ),
        (
            r#"{"where":{"and":[{"key":"a","operator":"eq","value":1}],"or":[]}}"#,
            "at where: \"or\" beside \"and\"",
        ),
        (
            r#"{"where":{"key":"a","operator":"eq","value":1,"op":"x"}}"#,
            "at where: unknown key \"op\"",
        ),
    ];
    for (text, expected) in cases {
        let message = error(text);
        assert!(
            message.contains(expected),
            "{text}\n  gave {message}\n  wanted {expected}"
        );
    }
}

#[test]
fn the_limits_are_enforced_with_their_values() {
    let test_node = json!({"key": "a", "operator": "eq", "value": 1});
    let many = json!({"where": {"or": vec![test_node.clone(); MAX_TESTS + 1]}}).to_string();
    assert!(error(&many).contains(&format!("more than the {MAX_TESTS} tests")));
    let enough = json!({"where": {"or": vec![test_node.clone(); MAX_TESTS]}}).to_string();
    assert!(Filter::parse(&enough).is_ok());

    let mut deep = test_node;
    for _ in 0..=MAX_DEPTH {
        deep = json!({"and": [deep]});
    }
    let deep = json!({"where": deep}).to_string();
    assert!(error(&deep).contains(&format!("deeper than the {MAX_DEPTH} levels")));

    let long = format!(
        "{{\"where\":{{\"key\":\"a\",\"operator\":\"eq\",\"value\":\"{}\"}}}}",
        "x".repeat(20_000)
    );
    assert!(error(&long).contains("bytes, more than the"));
}

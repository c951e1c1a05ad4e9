//! The named-field forms of the constructors with several text arguments
//! in a row write the same records as the positional ones.

use logward::{Emit, audit, tanium};
use serde_json::{Map, Value};

use crate::util::capture::capture;

/// The records without `id`, which differs for every record.
fn without_ids(records: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
    records
        .into_iter()
        .map(|mut r| {
            r.remove("id");
            r
        })
        .collect()
}

#[test]
fn named_field_constructors_write_what_the_positional_ones_write() {
    let records = without_ids(capture(|| {
        audit::SettingChange::new(false, "session_timeout", "30", "15", "10.0.0.7")
            .denied_because("not an admin")
            .warning();
        audit::SettingChange::from_fields(audit::SettingChangeFields {
            access_granted: false,
            setting: "session_timeout",
            old_value: "30",
            new_value: "15",
            client_ip: "10.0.0.7",
        })
        .denied_because("not an admin")
        .warning();
        audit::UserActivity::new(audit::Activity::Remove, true, "report", "10.0.0.8").info();
        audit::UserActivity::from(audit::UserActivityFields {
            action: audit::Activity::Remove,
            access_granted: true,
            element: "report",
            client_ip: "10.0.0.8",
        })
        .info();
        tanium::ApiRequest::new("tanium-1", "/api/v2/endpoints", "listed").info();
        tanium::ApiRequest::from_fields(tanium::ApiRequestFields {
            target: "tanium-1",
            path: "/api/v2/endpoints",
            message: "listed",
        })
        .info();
    }));
    assert_eq!(records.len(), 6, "{records:?}");
    for pair in records.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    assert_eq!(records[0]["old_value"], "30");
    assert_eq!(records[0]["new_value"], "15");
    assert_eq!(records[2]["element"], "report");
    assert_eq!(records[4]["path"], "/api/v2/endpoints");
}

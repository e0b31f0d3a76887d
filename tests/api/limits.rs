//! The limits the API enforces, as the committed spec states them: taken from the rules' own
//! constants, and refusing what the server refuses, so a client generated from the spec
//! validates before it sends.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, sqlite};
use crate::spec_check;
use downtime::bypass::{LABEL_PATTERN, MAX_LABEL_CHARS, MAX_TTL, MIN_TTL};
use downtime::http::LOCAL_PATH_PATTERN;
use downtime::state::{
    GATE_STATUS_ERRORS, GATE_STATUS_OK, MAX_HOLD_TIMEOUT_SECS, MAX_LIST_ENTRIES, MAX_MESSAGE_CHARS,
    MAX_PATH_CHARS, MAX_RETRY_AFTER_SECS, MIN_HOLD_TIMEOUT_SECS, MIN_RETRY_AFTER_SECS, Mode,
    OPEN_PATH_PATTERN,
};
use strum::VariantArray as _;

fn committed() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json");
    serde_json::from_str(&text).expect("JSON")
}

fn as_f64(n: impl Into<f64>) -> Value {
    json!(n.into())
}

#[test]
fn the_spec_states_the_limits_from_the_rules_constants() {
    let spec = committed();
    let schemas = &spec["components"]["schemas"];
    for name in ["MaintenanceUpdate", "MaintenancePatch"] {
        let field = |f: &str| &schemas[name]["properties"][f];
        assert_eq!(
            field("message")["maxLength"],
            json!(MAX_MESSAGE_CHARS),
            "{name}"
        );
        assert_eq!(
            field("retry_after")["minimum"],
            as_f64(MIN_RETRY_AFTER_SECS)
        );
        assert_eq!(
            field("retry_after")["maximum"],
            as_f64(MAX_RETRY_AFTER_SECS)
        );
        assert_eq!(
            field("hold_timeout")["minimum"],
            as_f64(MIN_HOLD_TIMEOUT_SECS)
        );
        assert_eq!(
            field("hold_timeout")["maximum"],
            as_f64(MAX_HOLD_TIMEOUT_SECS)
        );
        for list in ["allowed_ips", "open_paths", "scope"] {
            assert_eq!(
                field(list)["maxItems"],
                json!(MAX_LIST_ENTRIES),
                "{name}.{list}"
            );
        }
        for paths in ["open_paths", "scope"] {
            let items = &field(paths)["items"];
            assert_eq!(items["pattern"], OPEN_PATH_PATTERN, "{name}.{paths}");
            assert_eq!(items["maxLength"], json!(MAX_PATH_CHARS), "{name}.{paths}");
        }
        let status = field("status_code");
        assert_eq!(
            status["anyOf"][0]["enum"],
            json!([GATE_STATUS_OK]),
            "{name}"
        );
        assert_eq!(
            status["anyOf"][1]["minimum"],
            as_f64(*GATE_STATUS_ERRORS.start())
        );
        assert_eq!(
            status["anyOf"][1]["maximum"],
            as_f64(*GATE_STATUS_ERRORS.end())
        );
    }
    let link = &schemas["BypassLinkCreate"]["properties"];
    assert_eq!(link["ttl"]["minimum"], json!(MIN_TTL.as_secs_f64()));
    assert_eq!(link["ttl"]["maximum"], json!(MAX_TTL.as_secs_f64()));
    assert_eq!(link["label"]["maxLength"], json!(MAX_LABEL_CHARS));
    assert_eq!(link["label"]["pattern"], LABEL_PATTERN);
    assert_eq!(link["next"]["pattern"], LOCAL_PATH_PATTERN);
    // The enumeration is the state's, every variant by its stored name.
    let modes: Vec<&str> = Mode::VARIANTS.iter().map(|m| m.as_str()).collect();
    assert_eq!(schemas["Mode"]["enum"], json!(modes));
}

/// Whether `instance` fits the committed schema `name`.
fn fits(name: &str, instance: &Value) -> bool {
    spec_check::validate(
        &json!({ "$ref": format!("#/components/schemas/{name}") }),
        instance,
    )
    .is_ok()
}

#[tokio::test]
async fn the_spec_refuses_what_the_state_refuses_and_allows_what_it_allows() {
    let db = sqlite();
    let api = Api::start(&db).await;
    let over = |field: &str, value: Value| {
        let mut body = json!({ "enabled": true });
        body[field] = value;
        body
    };
    let path_of = |len: usize| format!("/{}", "a".repeat(len - 1));
    let ips = |n: usize| json!(vec!["10.0.0.1"; n]);
    let cases = [
        (over("message", json!("é".repeat(MAX_MESSAGE_CHARS))), true),
        (
            over("message", json!("x".repeat(MAX_MESSAGE_CHARS + 1))),
            false,
        ),
        (over("retry_after", json!(MIN_RETRY_AFTER_SECS)), true),
        (over("retry_after", json!(MAX_RETRY_AFTER_SECS)), true),
        (over("retry_after", json!(MIN_RETRY_AFTER_SECS - 1)), false),
        (over("retry_after", json!(MAX_RETRY_AFTER_SECS + 1)), false),
        (over("hold_timeout", json!(MIN_HOLD_TIMEOUT_SECS)), true),
        (over("hold_timeout", json!(MAX_HOLD_TIMEOUT_SECS)), true),
        (
            over("hold_timeout", json!(MIN_HOLD_TIMEOUT_SECS - 1)),
            false,
        ),
        (
            over("hold_timeout", json!(MAX_HOLD_TIMEOUT_SECS + 1)),
            false,
        ),
        (over("status_code", json!(200)), true),
        (over("status_code", json!(500)), true),
        (over("status_code", json!(599)), true),
        (over("status_code", json!(201)), false),
        (over("status_code", json!(499)), false),
        (over("status_code", json!(600)), false),
        (over("allowed_ips", ips(MAX_LIST_ENTRIES)), true),
        (over("allowed_ips", ips(MAX_LIST_ENTRIES + 1)), false),
        (over("open_paths", json!(["/status", "/shop/cart"])), true),
        (over("open_paths", json!([path_of(MAX_PATH_CHARS)])), true),
        (
            over("open_paths", json!([path_of(MAX_PATH_CHARS + 1)])),
            false,
        ),
        (over("open_paths", json!(["status"])), false),
        (over("open_paths", json!(["/"])), false),
        (over("scope", json!(["/a b"])), false),
        (over("scope", json!(["/a?b"])), false),
        (over("scope", json!(["/a#b"])), false),
        (over("scope", json!(["/a\\b"])), false),
        (over("scope", json!(["/a\u{7}"])), false),
        (over("mode", json!("read_only")), true),
        (over("mode", json!("partial")), false),
    ];
    for (body, allowed) in cases {
        let short: String = body.to_string().chars().take(120).collect();
        assert_eq!(fits("MaintenanceUpdate", &body), allowed, "schema: {short}");
        let resp = api.put(&body, None).await;
        // Every value the state refuses is a 422 listing it; only what no parser can read (a
        // mode outside the enumeration) is poem-openapi's 400.
        let refused = if body["mode"] == "partial" {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let expected = if allowed { StatusCode::OK } else { refused };
        assert_eq!(resp.status(), expected, "server: {short}");
    }

    let links = [
        (json!({ "ttl": MIN_TTL.as_secs() }), true),
        (json!({ "ttl": MAX_TTL.as_secs() }), true),
        (json!({ "ttl": 0 }), false),
        (json!({ "ttl": MAX_TTL.as_secs() + 1 }), false),
        (
            json!({ "ttl": 60, "label": "x".repeat(MAX_LABEL_CHARS) }),
            true,
        ),
        (
            json!({ "ttl": 60, "label": "x".repeat(MAX_LABEL_CHARS + 1) }),
            false,
        ),
        (json!({ "ttl": 60, "label": "two\nlines" }), false),
        (json!({ "ttl": 60, "next": "/" }), true),
        (json!({ "ttl": 60, "next": "/checkout?step=2" }), true),
        (json!({ "ttl": 60, "next": "checkout" }), false),
        (json!({ "ttl": 60, "next": "//evil.example" }), false),
        (json!({ "ttl": 60, "next": "/\\evil.example" }), false),
        (json!({ "ttl": 60, "next": "https://evil.example" }), false),
        (json!({ "ttl": 60, "next": "/a\u{0}" }), false),
    ];
    for (body, allowed) in links {
        let short: String = body.to_string().chars().take(120).collect();
        assert_eq!(fits("BypassLinkCreate", &body), allowed, "schema: {short}");
        let resp = api
            .request(Method::POST, "/api/maintenance/bypass")
            .json(&body)
            .send()
            .await
            .expect("POST");
        let expected = if allowed {
            StatusCode::CREATED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(resp.status(), expected, "server: {short}");
    }
}

//! Every JSON answer the tests receive is checked against the committed OpenAPI document: the
//! control API's answers against their operation's schema (an undocumented status is a
//! violation too), and every problem document, wherever it comes from, against `Problem`. A
//! violation turns the answer into a 500 naming it, which fails the test that received it.

use std::sync::LazyLock;

use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use serde_json::{Value, json};

static SPEC: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("the committed spec")
});

/// The middleware: outermost, so it sees the answers as clients do.
pub struct SpecCheck;

impl<E: Endpoint> Middleware<E> for SpecCheck {
    type Output = SpecCheckEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SpecCheckEndpoint { inner }
    }
}

pub struct SpecCheckEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for SpecCheckEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let method = req.method().as_str().to_ascii_lowercase();
        let path = req.uri().path().to_owned();
        let resp = match self.inner.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(error) => error.into_response(),
        };
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !content_type.starts_with("application/json")
            && !content_type.starts_with("application/problem+json")
        {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.into_bytes().await?;
        if let Err(violation) = check(&method, &path, parts.status, &content_type, &bytes) {
            let message = format!(
                "{} {path} answered {}: {violation}",
                method.to_uppercase(),
                parts.status
            );
            eprintln!("SPEC VIOLATION: {message}");
            return Ok(Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .header("x-spec-violation", "1")
                .body(message));
        }
        Ok(Response::from_parts(parts, Body::from(bytes)))
    }
}

/// Whether an answer agrees with the spec.
pub(crate) fn check(
    method: &str,
    path: &str,
    status: StatusCode,
    content_type: &str,
    body: &[u8],
) -> Result<(), String> {
    let instance: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if content_type.starts_with("application/problem+json") {
        validate(
            &json!({ "$ref": "#/components/schemas/Problem" }),
            &instance,
        )?;
    }
    // The API's own paths, as the router sees them (normalised), at the root or under the
    // tests' one prefix. A path that merely contains `/api/` further down (`/api/x/api/status`)
    // is no API route: the gate answers it.
    let normal = downtime::path::normalize(path);
    let under_mount = normal.strip_prefix("/_downtime").unwrap_or(&normal);
    let Some(operation) = under_mount
        .strip_prefix("/api")
        .and_then(|route| SPEC["paths"].get(route))
        .and_then(|ops| ops.get(method))
    else {
        return Ok(());
    };
    let response = operation["responses"]
        .get(status.as_str())
        .or_else(|| operation["responses"].get("default"))
        .ok_or_else(|| format!("status {status} is not documented"))?;
    let schema = response["content"]
        .as_object()
        .and_then(|content| {
            content
                .iter()
                .find(|(ct, _)| media_type(ct) == media_type(content_type))
        })
        .map(|(_, media)| &media["schema"])
        .ok_or_else(|| format!("{content_type} is not documented for {status}"))?;
    validate(schema, &instance)
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// `instance` against `schema`, whose references point into the spec's components.
pub(crate) fn validate(schema: &Value, instance: &Value) -> Result<(), String> {
    let root = json!({ "components": SPEC["components"], "allOf": [schema] });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the spec's schema does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} in {instance}", errors.join("; ")))
    }
}

#[test]
fn the_checker_catches_what_the_spec_forbids() {
    let ok = check(
        "get",
        "/api/status",
        StatusCode::OK,
        "application/json; charset=utf-8",
        br#"{"active":false,"phase":"off","mode":"full","retry_after":300,"version":1}"#,
    );
    assert_eq!(ok, Ok(()));
    for (status, body) in [
        // A null where the spec says string.
        (
            StatusCode::OK,
            r#"{"active":false,"phase":"off","mode":"full","retry_after":300,"version":1,"message":null}"#,
        ),
        // A required field missing.
        (
            StatusCode::OK,
            r#"{"active":false,"phase":"off","mode":"full","version":1}"#,
        ),
        // A value outside an enum.
        (
            StatusCode::OK,
            r#"{"active":false,"phase":"paused","mode":"full","retry_after":300,"version":1}"#,
        ),
        // A status the operation does not document.
        (StatusCode::IM_A_TEAPOT, r#"{}"#),
    ] {
        assert!(
            check(
                "get",
                "/api/status",
                status,
                "application/json",
                body.as_bytes()
            )
            .is_err(),
            "{body}"
        );
    }
    // Under the prefix, and spelled differently, it is the same route; deeper down it is none.
    for (path, checked) in [
        ("/_downtime/api/status", true),
        ("/./api//status", true),
        ("/api/api/api/status", false),
        ("/shop/api/status", false),
    ] {
        let teapot = check(
            "get",
            path,
            StatusCode::IM_A_TEAPOT,
            "application/json",
            b"{}",
        );
        assert_eq!(teapot.is_err(), checked, "{path}");
    }
    assert!(
        check(
            "get",
            "/anything",
            StatusCode::SERVICE_UNAVAILABLE,
            "application/problem+json",
            br#"{"title":"x"}"#
        )
        .is_err()
    );
}

//! The limits the API enforces, written into the request schemas from the constants of the
//! rules that enforce them, so that a client generated from the spec refuses bad input itself.
//!
//! Written, not enforced: poem-openapi's validators would refuse a body at its first bad field
//! with a 400, before the state's parser ([`crate::state::WindowInput::over`]) or the bypass
//! link's ([`crate::bypass::LinkRequest::validate`]) answers with every field at once in a 422.
//! So the schemas are amended here, once, after the derived types have registered them.

use std::collections::HashMap;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem_openapi::OpenApi;
use poem_openapi::registry::{MetaApi, MetaSchema, MetaSchemaRef, Registry};
use serde_json::json;

use crate::bypass::{LABEL_PATTERN, MAX_LABEL_CHARS, MAX_TTL, MIN_TTL};
use crate::http::LOCAL_PATH_PATTERN;
use crate::state::{
    GATE_STATUS_ERRORS, GATE_STATUS_OK, MAX_HOLD_TIMEOUT_SECS, MAX_LIST_ENTRIES, MAX_MESSAGE_CHARS,
    MAX_PATH_CHARS, MAX_RETRY_AFTER_SECS, MIN_HOLD_TIMEOUT_SECS, MIN_RETRY_AFTER_SECS,
    OPEN_PATH_PATTERN,
};

/// The APIs `T`, their request schemas stating the limits the server enforces.
pub struct WithLimits<T>(pub T);

impl<T: OpenApi> OpenApi for WithLimits<T> {
    fn meta() -> Vec<MetaApi> {
        T::meta()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        window_limits(registry, "MaintenanceUpdate");
        window_limits(registry, "MaintenancePatch");
        link_limits(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// A window's fields, as [`crate::state::Window::validate`] and the list parsers read them.
fn window_limits(registry: &mut Registry, schema: &str) {
    let mut field = |name: &str, amend: &dyn Fn(&mut MetaSchema)| {
        if let Some(property) = property(registry, schema, name) {
            amend(property);
        }
    };
    field("message", &|s| s.max_length = Some(MAX_MESSAGE_CHARS));
    field("retry_after", &|s| {
        s.minimum = Some(MIN_RETRY_AFTER_SECS.into());
        s.maximum = Some(MAX_RETRY_AFTER_SECS.into());
    });
    field("hold_timeout", &|s| {
        s.minimum = Some(MIN_HOLD_TIMEOUT_SECS.into());
        s.maximum = Some(MAX_HOLD_TIMEOUT_SECS.into());
    });
    field("allowed_ips", &|s| s.max_items = Some(MAX_LIST_ENTRIES));
    for paths in ["open_paths", "scope"] {
        field(paths, &|s| {
            s.max_items = Some(MAX_LIST_ENTRIES);
            if let Some(MetaSchemaRef::Inline(item)) = s.items.as_deref_mut() {
                item.pattern = Some(OPEN_PATH_PATTERN.into());
                item.max_length = Some(MAX_PATH_CHARS);
            }
        });
    }
    field("status_code", &|s| {
        let errors = MetaSchema {
            minimum: Some((*GATE_STATUS_ERRORS.start()).into()),
            maximum: Some((*GATE_STATUS_ERRORS.end()).into()),
            ..MetaSchema::ANY
        };
        let ok = MetaSchema {
            enum_items: vec![json!(GATE_STATUS_OK)],
            ..MetaSchema::ANY
        };
        s.minimum = Some(GATE_STATUS_OK.into());
        s.maximum = Some((*GATE_STATUS_ERRORS.end()).into());
        s.any_of = vec![
            MetaSchemaRef::Inline(Box::new(ok)),
            MetaSchemaRef::Inline(Box::new(errors)),
        ];
    });
}

/// A new bypass link's fields, as [`crate::bypass::LinkRequest::validate`] reads them.
fn link_limits(registry: &mut Registry) {
    const SCHEMA: &str = "BypassLinkCreate";
    if let Some(ttl) = property(registry, SCHEMA, "ttl") {
        // Whole seconds, as the field is.
        ttl.minimum = Some(MIN_TTL.as_secs_f64().ceil());
        ttl.maximum = Some(MAX_TTL.as_secs_f64().floor());
    }
    if let Some(label) = property(registry, SCHEMA, "label") {
        label.max_length = Some(MAX_LABEL_CHARS);
        label.pattern = Some(LABEL_PATTERN.into());
    }
    if let Some(next) = property(registry, SCHEMA, "next") {
        next.pattern = Some(LOCAL_PATH_PATTERN.into());
    }
}

/// The inline schema of `schema`'s property `name`: `None` if either is missing, which the test
/// of the committed spec against the constants then reports.
fn property<'a>(
    registry: &'a mut Registry,
    schema: &str,
    name: &str,
) -> Option<&'a mut MetaSchema> {
    let schema = registry.schemas.get_mut(schema)?;
    schema
        .properties
        .iter_mut()
        .find(|(property, _)| *property == name)
        .and_then(|(_, property)| match property {
            MetaSchemaRef::Inline(inline) => Some(&mut **inline),
            MetaSchemaRef::Reference(_) => None,
        })
}

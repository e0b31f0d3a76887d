//! A small demo site to put behind the gate: pages, a form that POSTs, and a JSON route.

use std::sync::Arc;

use poem::web::{Data, Form, Html, Json};
use poem::{Endpoint, EndpointExt, Route, get, handler, http::StatusCode};
use serde::{Deserialize, Serialize};

use crate::http::{BodyLimit, BodyLimitEndpoint};

/// The whole demo site: its pages at `/` and its JSON routes under `/api/demo`.
///
/// # Errors
/// The templates do not compile.
pub fn site() -> anyhow::Result<Route> {
    Ok(Route::new()
        .nest("/api/demo", api_routes())
        .nest("/", pages()?))
}

/// The demo site as `downtime serve` stands in front of it: [`site`] under the limit on request
/// bodies downtime's own routes have (its form and JSON routes read bodies). The tests build
/// it here too, so they see what `serve` serves.
///
/// # Errors
/// The templates do not compile.
pub fn served() -> anyhow::Result<BodyLimitEndpoint<Route>> {
    Ok(site()?.with(BodyLimit::default()))
}

/// The demo site's pages.
///
/// # Errors
/// The templates do not compile.
pub fn pages() -> anyhow::Result<impl Endpoint> {
    let mut tera = tera::Tera::new();
    tera.add_raw_templates([
        (
            "layout.html",
            include_str!("../../templates/layout.html.tera"),
        ),
        ("home.html", include_str!("../../templates/home.html.tera")),
        (
            "about.html",
            include_str!("../../templates/about.html.tera"),
        ),
        (
            "contact.html",
            include_str!("../../templates/contact.html.tera"),
        ),
        (
            "thanks.html",
            include_str!("../../templates/thanks.html.tera"),
        ),
    ])?;
    Ok(Route::new()
        .at("/", get(home))
        .at("/about", get(about))
        .at("/contact", get(contact).post(send_message))
        .data(Arc::new(tera)))
}

/// The demo site's JSON routes, to nest at `/api/demo`.
pub fn api_routes() -> Route {
    Route::new().at("/items", get(items).post(add_item))
}

type Templates = Arc<tera::Tera>;

fn page(tera: &tera::Tera, name: &str, ctx: &tera::Context) -> poem::Result<Html<String>> {
    tera.render(name, ctx).map(Html).map_err(|error| {
        tracing::error!(%error, template = name, "cannot render a demo page");
        poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
    })
}

#[handler]
fn home(tera: Data<&Templates>) -> poem::Result<Html<String>> {
    page(&tera, "home.html", &tera::Context::new())
}

#[handler]
fn about(tera: Data<&Templates>) -> poem::Result<Html<String>> {
    page(&tera, "about.html", &tera::Context::new())
}

#[handler]
fn contact(tera: Data<&Templates>) -> poem::Result<Html<String>> {
    page(&tera, "contact.html", &tera::Context::new())
}

#[derive(Deserialize)]
struct ContactForm {
    name: String,
    #[expect(dead_code, reason = "a demo: the message is accepted and dropped")]
    message: String,
}

#[handler]
fn send_message(
    tera: Data<&Templates>,
    Form(form): Form<ContactForm>,
) -> poem::Result<Html<String>> {
    let mut ctx = tera::Context::new();
    ctx.insert("name", &form.name);
    page(&tera, "thanks.html", &ctx)
}

/// A demo item.
#[derive(Serialize, Deserialize)]
struct Item {
    name: String,
}

#[handler]
fn items() -> Json<Vec<Item>> {
    Json(vec![
        Item {
            name: "teapot".into(),
        },
        Item {
            name: "umbrella".into(),
        },
    ])
}

#[handler]
fn add_item(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

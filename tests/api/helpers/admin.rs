//! The admin page's forms, as a logged-in browser fills them in.

use reqwest::StatusCode;

use super::browser::Browser;
use super::server::LiveServer;

/// Where the admin page lives.
pub const ADMIN: &str = "/maintenance/admin";

/// The value of hidden field `name` in `html`.
pub fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        .to_owned()
}

/// The admin page as `browser` sees it: status and HTML.
pub async fn admin_page(server: &LiveServer, browser: &mut Browser) -> (StatusCode, String) {
    let resp = browser.get(&format!("{}{ADMIN}", server.base)).await;
    let status = resp.status();
    (status, resp.text().await.expect("page"))
}

/// Posts `form` (plus the session's CSRF token and the page's version, unless given) to
/// `path` under the admin page.
pub async fn submit(
    server: &LiveServer,
    browser: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = admin_page(server, browser).await;
    let mut fields: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for hidden in ["csrf", "version"] {
        if !form.iter().any(|(k, _)| *k == hidden) {
            fields.push((hidden.to_owned(), field(&html, hidden)));
        }
    }
    browser
        .post_form(&format!("{}{ADMIN}{path}", server.base), &fields)
        .await
}

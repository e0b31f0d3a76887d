//! A cookie-keeping browser over reqwest, and logging in through the development provider.

use std::collections::BTreeMap;

use downtime::dev_idp;
use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::server::LiveServer;

/// A browser: follows no redirects, keeps cookies by name.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    pub last_set_cookie: Vec<String>,
}

impl Browser {
    pub fn new() -> Self {
        Browser {
            http: super::http(),
            cookies: BTreeMap::new(),
            last_set_cookie: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, resp: &reqwest::Response) {
        self.last_set_cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for line in &self.last_set_cookie {
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = line.contains("Max-Age=0") || line.contains("1970");
                if value.is_empty() || expired {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let resp = self
            .http
            .get(url)
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.remember(&resp);
        resp
    }

    pub async fn post_form(&mut self, url: &str, form: &[(String, String)]) -> reqwest::Response {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = self
            .http
            .post(url)
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookie_header())
            .body(body)
            .send()
            .await
            .expect("POST");
        self.remember(&resp);
        resp
    }
}

/// `s` with everything but ASCII letters and digits percent-encoded.
pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The `Location` of a redirect; panics naming the status when there is none.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location in {}", resp.status()))
        .to_owned()
}

/// Logs in as `user` through the real flow; `tamper` may change the form sent to the provider,
/// `tamper_callback` the URL the provider sends back. Returns the callback's answer.
pub async fn login_with(
    server: &LiveServer,
    browser: &mut Browser,
    user: &str,
    next: &str,
    tamper: impl FnOnce(&mut Vec<(String, String)>),
    tamper_callback: impl FnOnce(String) -> String,
) -> reqwest::Response {
    let start = browser
        .get(&format!(
            "{}/auth/login?next={}",
            server.base,
            urlencode(next)
        ))
        .await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{}/dev-idp/authorize?", server.base)),
        "{authorize}"
    );
    let url = Url::parse(&authorize).expect("authorize URL");
    let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["response_type"], "code");
    assert!(params.contains_key("state") && params.contains_key("nonce"));
    assert_eq!(
        params["redirect_uri"],
        format!("{}/auth/callback", server.base)
    );

    let page = browser.get(&authorize).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains(dev_idp::ADMIN.email)
    );

    let mut form: Vec<(String, String)> = params.into_iter().collect();
    form.push(("user".into(), user.into()));
    tamper(&mut form);
    let chosen = browser
        .post_form(&format!("{}/dev-idp/authorize", server.base), &form)
        .await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    let callback = tamper_callback(location(&chosen));
    browser.get(&callback).await
}

/// Logs in as `user` through the real flow, asking to go to `next`; the callback's answer.
pub async fn login(
    server: &LiveServer,
    browser: &mut Browser,
    user: &str,
    next: &str,
) -> reqwest::Response {
    login_with(server, browser, user, next, |_| {}, |url| url).await
}

/// A client-credentials token for `maintenance:write` from the server's development provider.
pub async fn client_token(server: &LiveServer, (id, secret): (&str, &str)) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/dev-idp/token", server.base))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "maintenance:write"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

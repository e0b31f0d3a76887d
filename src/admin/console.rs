//! The console's own renderer: its template, stylesheet and Content-Security-Policy, in the
//! languages (and with the logo) of the visitor pages.

use std::sync::Arc;

use anyhow::Context as _;
use poem::http::HeaderValue;
use serde::Serialize;

use crate::web::locale::UNKNOWN_MESSAGE;
use crate::web::page::Pages;

const TEMPLATE: &str = "admin.html";
const TEMPLATE_SOURCE: &str = include_str!("../../templates/admin.html.tera");
const STYLE: &str = include_str!("../../templates/admin.css");

/// Renders the console; built once at start.
pub struct Console {
    tera: tera::Tera,
    csp: HeaderValue,
    pages: Arc<Pages>,
}

impl Console {
    /// Compiles the console and renders it with every part filled in, in every language
    /// `pages` serves: a template that fails, or a language that lacks an `admin-*` message,
    /// is refused at start rather than shown to a superuser.
    ///
    /// # Errors
    /// Names the language and what is wrong.
    pub fn new(pages: Arc<Pages>) -> anyhow::Result<Self> {
        let mut tera = pages.template_engine();
        tera.add_raw_template(TEMPLATE, TEMPLATE_SOURCE)
            .context("the built-in admin page does not compile")?;
        // No script at all: every control is a plain form.
        let csp = format!(
            "default-src 'none'; style-src '{}'; img-src 'self' data:; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
            crate::http::csp_hash(STYLE)
        );
        let console = Console {
            tera,
            csp: HeaderValue::try_from(csp)?,
            pages,
        };
        let view = super::sample_view();
        for (index, language) in console.pages.languages().all().iter().enumerate() {
            let html = console.render(index, &view).map_err(|e| {
                anyhow::anyhow!("the admin page fails to render in {}: {e}", language.tag)
            })?;
            anyhow::ensure!(
                !html.contains(UNKNOWN_MESSAGE),
                "the admin page in {} lacks a message (admin-*)",
                language.tag
            );
        }
        Ok(console)
    }

    /// The visitor pages, whose languages the console speaks.
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    /// The console's `Content-Security-Policy`: its own stylesheet, no script.
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }

    /// The console in language `index`, showing `view`.
    pub(super) fn render(&self, index: usize, view: &impl Serialize) -> tera::TeraResult<String> {
        let language = self.pages.languages().get(index);
        let mut ctx = tera::Context::from_serialize(view)?;
        ctx.insert("lang", &language.tag);
        ctx.insert("dir", if language.rtl { "rtl" } else { "ltr" });
        ctx.insert("style", STYLE);
        ctx.insert("hold_timeout_min", &crate::state::MIN_HOLD_TIMEOUT_SECS);
        ctx.insert("hold_timeout_max", &crate::state::MAX_HOLD_TIMEOUT_SECS);
        ctx.insert("logo", self.pages.logo().unwrap_or_default());
        self.tera.render(TEMPLATE, &ctx)
    }
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("csp", &self.csp)
            .finish_non_exhaustive()
    }
}

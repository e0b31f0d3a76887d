//! Pages: language negotiation, the localized maintenance page, and the demo site.

mod brand;
pub mod demo;
pub mod locale;
pub mod page;

/// Escapes text for HTML content and quoted attributes (for the few pages built without Tera).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

//! Pages: language negotiation, the localized maintenance page, and the demo site.

mod brand;
pub mod demo;
pub mod locale;
pub mod page;

//! Pages: language negotiation, the localized maintenance page, the windows' Atom feed, and
//! the demo site.

mod brand;
pub mod demo;
pub mod feed;
pub mod locale;
pub mod page;

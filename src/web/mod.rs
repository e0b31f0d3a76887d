//! Pages: language negotiation, the localized maintenance page, the windows' Atom feed, the
//! chat messages of the timeline's webhooks, and the demo site.

mod brand;
mod chat;
pub mod demo;
pub mod feed;
pub mod locale;
pub mod page;

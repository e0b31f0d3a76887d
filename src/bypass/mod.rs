//! Bypass links: secret URLs an operator shares with people who have no account (a tester, a
//! client checking a fix). Opening one sets a cookie that passes the gate until the link
//! expires or is revoked. It is no login: the control API still refuses its holder.
//!
//! A link is `<site>/auth/bypass?token=<id>.<secret>`. The id is public (lists, revocation);
//! the secret (256 random bits) is stored only as its SHA-256 and compared in constant time.
//! The cookie holds the id and an HMAC of it under the site's secret key, so it cannot be
//! forged, and the gate looks the id up among the live links every replica keeps in memory,
//! followed from the database like the state: a revocation counts everywhere at once.
//!
//! One file per job: `link.rs` the link as listed, the request for a new one and its token;
//! `store.rs` the table ([`LinkStore`]); `live.rs` the live set the gate asks
//! ([`BypassLinks`]); `cookie.rs` the signed cookie; `route.rs` where a link leads
//! ([`visit`]).

mod cookie;
mod link;
mod live;
mod route;
mod store;

pub use cookie::{COOKIE_NAME, CookieSettings};
pub use link::{
    BypassError, BypassLink, LABEL_PATTERN, LinkRequest, LinkStatus, MAX_LABEL_CHARS, MAX_TTL,
    MIN_TTL, NewLink, PATH,
};
pub use live::BypassLinks;
pub use route::visit;
pub use store::LinkStore;

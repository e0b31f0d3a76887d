//! HTTP surfaces other than pages: health checks and the public status.

pub mod health;
pub mod problem;
pub mod status;

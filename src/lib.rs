//! # downtime
//!
//! Maintenance mode for Poem web applications: a [`gate::Gate`] middleware that takes a site
//! offline for visitors while superusers keep using it, a localized maintenance page, the state
//! in a database (SQLite or PostgreSQL) followed live by every process, and a CLI to flip it.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod gate;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;

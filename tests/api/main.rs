//! Integration tests over HTTP against real databases, compiled as one binary.

mod admin;
mod architecture;
mod auth;
mod browser;
mod bypass;
mod cli;
mod cli_docs;
mod control;
mod deploy;
mod edge;
mod embed;
mod flows;
mod gate;
mod helpers;
mod limits;
mod metrics;
mod page;
mod proxy;
mod readme;
mod replicas;
mod routes;
mod server;
mod spec_check;
mod state;
mod switch;
mod webhooks;

//! End-to-end tests over real HTTP: each test starts the app on 127.0.0.1:0 with a fresh
//! SQLite file in a temporary directory (or a fresh PostgreSQL database) and talks to it
//! with reqwest.

mod account_deletion;
mod account_export;
mod accounts;
mod audit;
mod auth;
mod authorization;
mod backups;
mod billing;
mod cohorts;
mod common;
mod conform;
mod email;
mod errors;
mod exports;
mod fake_stripe;
mod fetches;
mod graphs;
mod journey;
mod market;
mod market_requests;
mod ops;
mod paper;
mod rate_limit;
mod robustness;
mod runs;
mod screener;
mod supabase;
mod templates;
mod webhooks;

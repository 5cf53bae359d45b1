//! lifemarket: the backend of an O2O marketplace for residential life services (catering,
//! housekeeping, laundry, repair). See `docs/architecture.md` for the layout.

pub mod accounts;
pub mod aftersales;
pub mod app;
pub mod audit;
pub mod auth;
pub mod booking;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod credit;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fields;
pub mod history;
pub mod http;
pub mod jobs;
pub mod ledger;
pub mod lifecycle;
pub mod live;
pub mod mail;
pub mod merchants;
pub mod messages;
pub mod moderation;
pub mod orders;
pub mod pay;
pub mod payments;
pub mod reviews;
pub mod sandbox;
pub mod scale;
pub mod schema;
pub mod seed;
pub mod settlement;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod uploads;

pub use app::app;
pub use state::AppState;

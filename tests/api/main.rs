//! The integration tests: one binary, one module per feature, every test on its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod helpers;

mod accounts;
mod aftersales;
mod appeals;
mod applications;
mod auth;
mod booking;
mod browser;
mod catalog;
mod cors;
mod discovery;
mod events;
mod idempotency;
mod jobs;
mod kinds;
mod ledger;
mod merchants;
mod messages;
mod openapi;
mod orders;
mod outage;
mod pages;
mod pay_protocol;
mod payments;
mod plumbing;
mod privacy;
mod replicas;
mod reviews;
mod scale;
mod search;
mod seed;
mod sessions;
mod uploads;

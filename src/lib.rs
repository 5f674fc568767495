//! Quire: a publishing platform in one binary. The library holds everything, so `main` and
//! the tests build exactly the same application.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod domain;
pub mod error;
pub mod images;
pub mod jobs;
pub mod mail;
pub mod net;
pub mod render;
pub mod site;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod transfer;
pub mod web;

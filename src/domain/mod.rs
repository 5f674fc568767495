//! The publication's data: one module per aggregate, each with its row types, validated
//! inputs and query functions taking `&mut DbConn`.

pub mod accounts;
pub mod audit;
pub mod browse;
pub mod changes;
pub mod comments;
pub mod gone;
pub mod imports;
pub mod input;
pub mod integrations;
pub mod likes;
pub mod media;
pub mod people;
pub mod posts;
pub mod redirects;
pub mod revisions;
pub mod sessions;
pub mod settings;
pub mod sitemap;
pub mod tags;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod webhooks;
pub mod write;

//! The staff's side of the site. Every handler takes `Staff` (signed in, with a role that
//! may use the admin) and asks for the permission its action needs.

pub mod api_reference;
pub mod audit;
pub mod comments;
pub mod confirm;
pub mod dashboard;
pub mod frame;
pub mod import;
pub mod integrations;
pub mod jobs;
pub mod listing;
pub mod media;
pub mod people;
pub mod posts;
pub mod redirects;
pub mod revisions;
pub mod settings;
pub mod setup;
pub mod staff;
pub mod tags;
pub mod webhooks;

/// A refusal the role matrix makes, naming what was refused.
pub(crate) fn forbidden(what: &str) -> crate::error::AppError {
    crate::error::AppError::Forbidden(format!("Your role does not allow you to {what}."))
}

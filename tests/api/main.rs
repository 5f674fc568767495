//! Integration tests: each starts the real server on a random port against a fresh database
//! (SQLite, or PostgreSQL when QUIRE_TEST_DATABASE_URL is set) and talks HTTP to it.

mod accounts;
mod admin;
mod attacks;
mod bulk;
mod cache;
mod cli;
mod comments;
mod control_chars;
mod editor;
mod guest_comments;
mod helpers;
mod history;
mod http;
mod import_page;
mod instances;
mod jobs;
mod likes;
mod live;
mod mail;
mod media;
mod migrations;
mod moving_in;
mod one_parser;
mod organising;
mod pages;
mod people;
mod rendering;
mod roles;
mod search;
mod security;
mod seo;
mod sign_in_link;
mod transfer;
mod two_factor;
mod urls;

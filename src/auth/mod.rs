//! Authentication and authorisation: password hashing, the database session store, who is
//! signed in, what their role allows, CSRF defences and rate limits.

pub mod csrf;
pub mod identity;
pub mod password;
pub mod permissions;
pub mod rate_limit;
pub mod session_store;
pub mod signed;
pub mod tokens;

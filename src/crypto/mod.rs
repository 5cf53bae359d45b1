//! Secrets and their checks, with no database: argon2id password hashing, HS256 access tokens,
//! opaque tokens (refresh, email verification, password reset) and their SHA-256 hashes. Kernel:
//! the state holds the keys and the hasher; `auth` and `accounts` use them.

mod password;
mod tokens;

pub use password::Passwords;
pub use tokens::{hash_opaque_token, new_opaque_token, Claims, JwtKeys, PlatformRole};

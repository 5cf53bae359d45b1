//! Authentication: the `Identity` extractor (a verified bearer token) and role checks, and the
//! refresh-token store. Owns the `refresh_tokens` table. Signing in is `accounts`'; the crypto is
//! the kernel's `crypto`.

mod identity;
mod models;

pub use crate::crypto::PlatformRole;
pub use identity::Identity;
pub use models::{forget_user, generation, revoke_all_for_user, sweep_expired};

/// The refresh-token store that sign-in sessions (`accounts::session`) write through.
pub mod refresh_tokens {
    pub use super::models::{
        find_by_hash, insert, revoke_family, spend, NewRefreshToken, RefreshToken,
    };
}

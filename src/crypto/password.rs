//! Password hashing with argon2id. Hashing is CPU-bound, so callers run it on the blocking pool
//! (`hash_blocking`, `verify_blocking`), never on an actix worker.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordCost;
use crate::error::{AppError, AppResult};

/// Hashes and verifies passwords with one set of argon2id parameters.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A hash of a random password, verified against when the account does not exist so that
    /// an unknown email takes as long as a wrong password.
    dummy_hash: String,
}

impl Passwords {
    /// Builds the hasher; fails only on parameters argon2 rejects.
    pub fn new(cost: PasswordCost) -> AppResult<Self> {
        let params = Params::new(cost.m_cost, cost.t_cost, cost.p_cost, None)
            .map_err(|e| AppError::internal_in("argon2 parameters", e))?;
        let mut passwords = Self {
            params,
            dummy_hash: String::new(),
        };
        passwords.dummy_hash = passwords.hash(&uuid::Uuid::new_v4().to_string())?;
        Ok(passwords)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=...`) with a fresh random salt.
    pub fn hash(&self, password: &str) -> AppResult<String> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal_in("hashing failed", e))
    }

    /// Whether `password` matches `hash`; with no hash, spends the same time and says no.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let matches = self
            .argon2()
            .verify_password(password.as_bytes(), hash.unwrap_or(&self.dummy_hash))
            .is_ok();
        matches && hash.is_some()
    }

    /// [`Passwords::hash`] on the blocking pool.
    pub async fn hash_blocking(&self, password: String) -> AppResult<String> {
        let this = self.clone();
        actix_web::web::block(move || this.hash(&password)).await?
    }

    /// [`Passwords::verify`] on the blocking pool.
    pub async fn verify_blocking(&self, password: String, hash: Option<String>) -> AppResult<bool> {
        let this = self.clone();
        Ok(actix_web::web::block(move || this.verify(&password, hash.as_deref())).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let passwords = Passwords::new(PasswordCost::CHEAP).unwrap();
        let hash = passwords.hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords.verify("correct horse", Some(&hash)));
        assert!(!passwords.verify("wrong horse", Some(&hash)));
    }

    #[test]
    fn no_account_never_verifies() {
        let passwords = Passwords::new(PasswordCost::CHEAP).unwrap();
        assert!(!passwords.verify("anything", None));
    }
}

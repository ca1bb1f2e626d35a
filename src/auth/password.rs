//! Passwords: argon2id with the parameters OWASP recommends (m=19456 KiB, t=2, p=1).
//! Hashing is slow on purpose: call these from blocking code only.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

const COMMON: &str = include_str!("common_passwords.txt");

fn hasher() -> Argon2<'static> {
    // The numbers are constants that Params::new accepts; a failure here is a programming error.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password someone chose: long enough, not absurdly long, not on the list of common ones,
/// and not the username.
pub fn check_strength(password: &str, username: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err("password_too_short");
    }
    if chars > MAX_CHARS {
        return Err("password_too_long");
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || COMMON.lines().any(|common| common.trim() == lowered) {
        return Err("password_too_common");
    }
    Ok(())
}

/// One hash at a time. Each takes 19 MiB for ~50 ms of one core's time. Side by side they finish
/// no sooner on a server's few cores, but each holds its memory: sixteen sign-ins at a workshop's
/// start would hold 300 MiB, and two at once already took the server over its 60 MiB ceiling
/// (24 MiB of its own + 2 × 19 + the page being served). Waiting here keeps it to 19 MiB, at ~20
/// sign-ins a second: more than these organisations' people make in a morning.
fn gated<T>(work: impl FnOnce() -> T) -> T {
    static GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A poisoned gate is still a gate: a panic elsewhere must not lock every sign-in out.
    let _turn = GATE.lock().unwrap_or_else(|e| e.into_inner());
    work()
}

pub fn hash(password: &str) -> Result<String, String> {
    gated(|| hash_now(password))
}

fn hash_now(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

/// Whether `password` matches `stored`, and whether `stored` should be re-hashed
/// because it was made with weaker parameters (or another algorithm).
pub fn verify(password: &str, stored: &str) -> (bool, bool) {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return (false, false);
    };
    let ok = gated(|| hasher().verify_password(password.as_bytes(), &parsed).is_ok());
    let current = parsed.algorithm.as_str() == "argon2id"
        && Params::try_from(&parsed).is_ok_and(|p| p.m_cost() >= 19_456 && p.t_cost() >= 2);
    (ok, ok && !current)
}

/// Spends the same time as a real check, so an unknown username cannot be told from a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(verify("correct horse battery", &stored), (true, false));
        assert_eq!(verify("wrong horse battery", &stored), (false, false));
    }

    #[test]
    fn weaker_hashes_verify_and_ask_to_be_upgraded() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let stored = weak.hash_password(b"old password 1", &salt).unwrap().to_string();
        assert_eq!(verify("old password 1", &stored), (true, true));
    }

    #[test]
    fn hashes_run_one_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NOW: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..6)
            .map(|_| {
                std::thread::spawn(|| {
                    gated(|| {
                        let now = NOW.fetch_add(1, Ordering::SeqCst) + 1;
                        MOST.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        NOW.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(MOST.load(Ordering::SeqCst), 1, "hashes at once");
    }

    #[test]
    fn short_common_or_username_passwords_are_refused() {
        assert_eq!(check_strength("1234567", "rosa"), Err("password_too_short"));
        assert_eq!(check_strength("password", "rosa"), Err("password_too_common"));
        assert_eq!(check_strength("Password1", "rosa"), Err("password_too_common"));
        assert_eq!(check_strength("rosa.quispe", "Rosa.Quispe"), Err("password_too_common"));
        assert_eq!(check_strength(&"x".repeat(129), "rosa"), Err("password_too_long"));
        assert_eq!(check_strength("pallaqueras del cerro", "rosa"), Ok(()));
    }
}

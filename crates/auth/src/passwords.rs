//! Password hashing. Hashes are made and checked here; the only way to
//! read one is [`NewHash::stored`], for the db crate to store it.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

/// Hashing failed (argon2 refused its input or parameters): the server's
/// fault, never the user's.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// argon2id at one of OWASP's equivalent minimums (Password Storage Cheat
/// Sheet lists 19 MiB x 2 passes, 12 MiB x 3, 9 MiB x 4 and 7 MiB x 5 as
/// "an equal level of defense"): 7 MiB, 5 passes, 1 lane. Each hash in
/// progress holds its memory, so the smallest keeps a burst of logins from
/// dominating the server's footprint; it is also the fastest here (~10 ms
/// against ~19 ms for 19 MiB x 2, which pays for touching fresh memory).
/// Hashes made with other parameters still verify: they carry their own.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

fn params() -> Params {
    Params::new(7 * 1024, 5, 1, None).unwrap_or_default()
}

/// At most one hash per core at a time. Hashing is pure CPU work, so more
/// at once only adds memory (and takes cores from everything else). The
/// login route queues before it takes a thread; this bounds every caller.
static PERMITS: Permits = Permits::new();

/// How many hashes may run at once: one per core. The login route waits
/// for the same number before it takes a thread.
pub fn at_once() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
}

struct Permits {
    in_use: Mutex<usize>,
    freed: Condvar,
}

struct Permit<'a>(&'a Permits);

impl Permits {
    const fn new() -> Self {
        Self {
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let limit = at_once();
        // A poisoned lock only means a holder panicked; the count is intact.
        let mut in_use = self.in_use.lock().unwrap_or_else(PoisonError::into_inner);
        while *in_use >= limit {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *in_use += 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut in_use = self.0.in_use.lock().unwrap_or_else(PoisonError::into_inner);
        *in_use -= 1;
        self.0.freed.notify_one();
    }
}

/// A hash made for a new password, ready to store. It is made before the
/// database work that stores it (`NewHash::of`, CPU only: the api runs it
/// on a blocking thread, not on a database thread holding a connection),
/// and shown by no `Debug`.
#[derive(Clone)]
pub struct NewHash(String);

impl NewHash {
    /// Hashes `password` (argon2id, ~10 ms of a core).
    pub fn of(password: &str) -> Result<Self, HashError> {
        hash(password).map(Self)
    }

    /// The PHC string, for the store to keep; nothing else reads it.
    pub fn stored(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewHash(<redacted>)")
    }
}

/// A new hash of `password` in PHC format, with a fresh salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let _permit = PERMITS.acquire();
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            let _permit = PERMITS.acquire();
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Whether a stored hash was made otherwise than new hashes are (another
/// algorithm, version or cost, as an earlier release stored). Such a hash
/// is replaced at the account's next successful login, the one moment the
/// password is at hand (as Django does): a cost raised later then reaches
/// every account that logs in, and one lowered (19 MiB to 7 MiB) stops
/// costing its old memory at every login.
pub fn outdated(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(stored_params) = Params::try_from(&parsed) else {
        return true;
    };
    let current = params();
    parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed.version != Some(Version::V0x13.into())
        || stored_params.m_cost() != current.m_cost()
        || stored_params.t_cost() != current.t_cost()
        || stored_params.p_cost() != current.p_cost()
}

/// Burns the same time as a real check, so an unknown username takes as long
/// to refuse as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("timing equaliser").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("correct horse battery", &a));
        assert!(!verify("wrong horse battery", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        // What earlier releases stored: 19 MiB, 2 passes.
        let params = Params::new(19 * 1024, 2, 1, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"an older passphrase", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2,p=1"), "{old}");
        assert!(verify("an older passphrase", &old));
        assert!(!verify("another passphrase", &old));
        assert!(outdated(&old));
    }

    #[test]
    fn only_hashes_made_otherwise_are_outdated() {
        assert!(!outdated(&hash("a current passphrase").unwrap()));
        let made_with = |algorithm, params| {
            Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"a passphrase", &SaltString::generate(&mut OsRng))
                .unwrap()
                .to_string()
        };
        let one_pass_more = Params::new(7 * 1024, 6, 1, None).unwrap();
        assert!(outdated(&made_with(Algorithm::Argon2id, one_pass_more)));
        assert!(outdated(&made_with(Algorithm::Argon2i, params())));
        assert!(!outdated(&made_with(Algorithm::Argon2id, params())));
        assert!(outdated("not a hash"));
    }

    #[test]
    fn no_more_hashes_at_once_than_cores() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let limit = at_once();
        let permits = Permits::new();
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..limit * 4 {
                scope.spawn(|| {
                    let _permit = permits.acquire();
                    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(running, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), limit);
        assert_eq!(*permits.in_use.lock().unwrap(), 0);
    }
}

//! The directory's secrets: password hashes (argon2id) and session tokens
//! (random, kept as SHA-256). CPU work and the operating system's
//! randomness only: no database and no HTTP. The db crate stores what this
//! crate makes and checks stored values with it; the api crate decides when
//! to spend a core on a hash. A crate of its own, rather than a module of
//! db or api, because both need it (and seed and xtask through db), and
//! because its dependencies are the cryptography alone.

pub mod passwords;
pub mod tokens;

//! Helpers of the auth tests: users-file password hashes and `Authorization` values.

/// A PHC string with small Argon2 parameters (quick; the server takes the parameters from
/// the string).
pub fn cheap_hash(password: &str) -> String {
    use argon2::PasswordHasher;
    let params = argon2::Params::new(256, 1, 1, None).expect("params");
    argon2::Argon2::from(params)
        .hash_password(password.as_bytes())
        .expect("hash")
        .to_string()
}

/// An `Authorization: Basic …` value.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

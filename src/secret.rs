//! Exporter credentials encrypted at rest (Confluent's `password.encoder.secret`).
//!
//! With `--password-encoder-secret`, the secret values of an exporter's destination config
//! (keys such as `basic.auth.user.info`, `bearer.auth.token`, `ssl.key.password`: any key
//! [`is_sensitive`]) are stored in the `EXPORTER` record as
//! `encrypted:v1:BASE64(nonce ‖ AES-256-GCM ciphertext ‖ tag)`, the config key as associated
//! data. The 256-bit key is derived once at start from the secret with Argon2id (19 MiB,
//! 2 passes) and a fixed, versioned salt. The exporter worker decrypts just before it
//! pushes; the API answers the stored (encrypted) text, which may be sent back as is (a
//! value that already decrypts is kept). `--password-encoder-old-secret` decrypts values
//! written under the previous secret (rotation: such a value is re-encrypted with the new
//! secret the next time its exporter is written).
//!
//! Without a secret the values are stored as given, as before (a warning is logged when
//! such a credential is stored).

use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::BTreeMap;

/// The prefix of an encrypted value (the version names the format and key derivation).
pub const PREFIX: &str = "encrypted:v1:";
const SALT: &[u8] = b"schema-registry password.encoder v1";

/// Whether a destination config key holds a credential: the keys whose values are not
/// printed (`properties::is_secret`), except the `*.credentials.source` selectors.
pub fn is_sensitive(key: &str) -> bool {
    crate::properties::is_secret(key) && !key.to_ascii_lowercase().ends_with(".source")
}

/// The keys derived from the current and the old secret.
pub struct Encoder {
    current: LessSafeKey,
    old: Option<LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encoder([redacted])")
    }
}

fn derive(secret: &str) -> Result<LessSafeKey, String> {
    if secret.is_empty() {
        return Err("the password encoder secret is empty".into());
    }
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(secret.as_bytes(), SALT, &mut key)
        .map_err(|e| format!("cannot derive the password encoder key: {e}"))?;
    let unbound = UnboundKey::new(&AES_256_GCM, &key)
        .map_err(|_| "cannot make the password encoder key".to_string())?;
    Ok(LessSafeKey::new(unbound))
}

impl Encoder {
    pub fn new(secret: &str, old_secret: Option<&str>) -> Result<Encoder, String> {
        Ok(Encoder {
            current: derive(secret)?,
            old: old_secret.map(derive).transpose()?,
            rng: SystemRandom::new(),
        })
    }

    /// `value` encrypted under the current secret, bound to `key`.
    pub fn seal(&self, key: &str, value: &str) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| "no randomness for the nonce".to_string())?;
        let mut data = value.as_bytes().to_vec();
        self.current
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key.as_bytes()),
                &mut data,
            )
            .map_err(|_| format!("cannot encrypt {key}"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// The text of an encrypted value, and whether it was under the old secret.
    fn open_with(&self, key: &str, value: &str) -> Option<(String, bool)> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(value.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let keys =
            std::iter::once((&self.current, false)).chain(self.old.as_ref().map(|k| (k, true)));
        for (k, old) in keys {
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut data = sealed.to_vec();
            if let Ok(plain) = k.open_in_place(nonce, Aad::from(key.as_bytes()), &mut data) {
                return Some((String::from_utf8(plain.to_vec()).ok()?, old));
            }
        }
        None
    }

    /// The text of an encrypted value of `key`.
    pub fn open(&self, key: &str, value: &str) -> Result<String, String> {
        self.open_with(key, value).map(|(v, _)| v).ok_or_else(|| {
            format!("cannot decrypt the exporter config value {key}: it was encrypted with another password encoder secret, or altered")
        })
    }

    /// Encrypts the sensitive values of a config to be stored. A value already encrypted
    /// under the current secret is kept; under the old one, re-encrypted; one that does not
    /// decrypt is refused.
    pub fn seal_config(&self, config: &mut BTreeMap<String, String>) -> Result<(), String> {
        for (k, v) in config.iter_mut() {
            if !is_sensitive(k) || v.is_empty() {
                continue;
            }
            if v.starts_with(PREFIX) {
                match self.open_with(k, v) {
                    Some((_, false)) => {}
                    Some((plain, true)) => *v = self.seal(k, &plain)?,
                    None => return Err(self.open(k, v).err().unwrap_or_default()),
                }
            } else {
                *v = self.seal(k, v)?;
            }
        }
        Ok(())
    }
}

/// The encoder for `--password-encoder-secret` (`None` without one; an old secret alone is
/// refused).
pub fn from_settings(
    secret: Option<&str>,
    old_secret: Option<&str>,
) -> Result<Option<std::sync::Arc<Encoder>>, String> {
    match (secret, old_secret) {
        (None, None) => Ok(None),
        (None, Some(_)) => {
            Err("--password-encoder-old-secret needs --password-encoder-secret".into())
        }
        (Some(s), old) => {
            let enc =
                Encoder::new(s, old).map_err(|e| format!("--password-encoder-secret: {e}"))?;
            tracing::info!("exporter credentials are encrypted at rest");
            Ok(Some(std::sync::Arc::new(enc)))
        }
    }
}

/// The config the worker pushes with: encrypted values decrypted.
pub fn open_config(
    encoder: Option<&Encoder>,
    config: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = config.clone();
    for (k, v) in out.iter_mut() {
        if v.starts_with(PREFIX) && is_sensitive(k) {
            let enc = encoder.ok_or_else(|| {
                format!("the exporter config value {k} is encrypted but no password encoder secret is configured (--password-encoder-secret)")
            })?;
            *v = enc.open(k, v)?;
        }
    }
    Ok(out)
}

/// The sensitive keys of a config stored in clear (for the warning without a secret).
pub fn clear_credentials(config: &BTreeMap<String, String>) -> Vec<&str> {
    config
        .iter()
        .filter(|(k, v)| is_sensitive(k) && !v.is_empty() && !v.starts_with(PREFIX))
        .map(|(k, _)| k.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn secret_seals_only_credentials_and_opens_them() {
        let enc = Encoder::new("s3cret", None).expect("encoder");
        let mut c = config(&[
            ("schema.registry.url", "http://dr:8081"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "bob:hunter2"),
            ("bearer.auth.token", "tok"),
        ]);
        let plain = c.clone();
        enc.seal_config(&mut c).expect("seal");
        assert_eq!(c["schema.registry.url"], "http://dr:8081");
        assert_eq!(c["basic.auth.credentials.source"], "USER_INFO");
        assert!(c["basic.auth.user.info"].starts_with(PREFIX));
        assert!(!c["basic.auth.user.info"].contains("hunter2"));
        assert!(c["bearer.auth.token"].starts_with(PREFIX));
        assert_eq!(open_config(Some(&enc), &c).expect("open"), plain);
        // Sending the stored text back keeps it.
        let mut again = c.clone();
        enc.seal_config(&mut again).expect("seal again");
        assert_eq!(again, c);
        // Another secret cannot read it, nor can no secret.
        let other = Encoder::new("other", None).expect("encoder");
        assert!(open_config(Some(&other), &c)
            .expect_err("refused")
            .contains("basic.auth.user.info"));
        assert!(open_config(None, &c).is_err());
        assert!(other.seal_config(&mut c.clone()).is_err());
        // A value moved to another key does not decrypt (the key is associated data).
        let mut moved = c.clone();
        moved.insert("ssl.key.password".into(), c["bearer.auth.token"].clone());
        assert!(open_config(Some(&enc), &moved).is_err());
        assert_eq!(
            clear_credentials(&plain),
            vec!["basic.auth.user.info", "bearer.auth.token"]
        );
        assert!(clear_credentials(&c).is_empty());
    }

    #[test]
    fn secret_rotation_reads_old_values_and_reseals_them() {
        let old = Encoder::new("old", None).expect("old");
        let mut c = config(&[("basic.auth.user.info", "u:p")]);
        old.seal_config(&mut c).expect("seal");
        let rotated = Encoder::new("new", Some("old")).expect("rotated");
        assert_eq!(
            open_config(Some(&rotated), &c).expect("open")["basic.auth.user.info"],
            "u:p"
        );
        let mut resealed = c.clone();
        rotated.seal_config(&mut resealed).expect("reseal");
        assert_ne!(resealed, c);
        let new_only = Encoder::new("new", None).expect("new");
        assert_eq!(
            open_config(Some(&new_only), &resealed).expect("open")["basic.auth.user.info"],
            "u:p"
        );
        assert!(Encoder::new("", None).is_err());
    }
}

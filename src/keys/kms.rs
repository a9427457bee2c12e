//! The one KMS client the registry itself can use, for *shared* KEKs: Confluent's local KMS
//! (`kmsType` `local-kms`), on only when the operator gives `--dek-local-kms-secret`.
//!
//! What it must match, read in the clients' `LocalKmsClient` / `Cryptor` (Java
//! `client-encryption/…/local/LocalKmsClient.java`, Python
//! `schema_registry/rules/encryption/localkms/local_client.py`, JS `localkms/local-client.ts`,
//! the same in the three): the KEK is AES-128-GCM with the key HKDF-SHA256(secret, no salt,
//! no info, 16 bytes); a wrapped DEK is Tink's RAW output, `12-byte IV ‖ ciphertext ‖
//! 16-byte tag`, with empty associated data; the DEK itself is the serialized Tink key proto
//! (`AesGcmKey`: field 3 `key_value`; `AesSivKey`: field 2), so that a client can use the
//! `keyMaterial` the registry answers for a shared KEK. The secret is the KEK's `kmsProps`
//! `secret` when it has one (Confluent passes `kmsProps` to the driver), else the
//! operator's.

use super::record::{Algorithm, KekValue};
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

/// The KMS types the registry can call itself.
pub const SUPPORTED: [&str; 1] = ["local-kms"];

pub struct LocalKms {
    secret: String,
}

impl std::fmt::Debug for LocalKms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKms(<secret>)")
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl LocalKms {
    pub fn new(secret: &str) -> LocalKms {
        LocalKms {
            secret: secret.to_string(),
        }
    }

    fn key(&self, kek: &KekValue) -> Result<LessSafeKey, String> {
        let secret = kek
            .kms_props
            .get("secret")
            .map_or(self.secret.as_str(), String::as_str);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(secret.as_bytes());
        let okm = prk
            .expand(&[], &AES_128_GCM)
            .map_err(|_| "cannot derive the local KMS key".to_string())?;
        Ok(LessSafeKey::new(UnboundKey::from(okm)))
    }

    /// A new DEK of `algorithm`, as the serialized Tink key the clients read.
    pub fn generate(algorithm: Algorithm) -> Result<Vec<u8>, String> {
        let (tag, len) = match algorithm {
            Algorithm::Aes128Gcm => (0x1a, 16),
            Algorithm::Aes256Gcm => (0x1a, 32),
            Algorithm::Aes256Siv => (0x12, 64),
        };
        let mut key = vec![0u8; len];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| "no randomness for a new DEK".to_string())?;
        let mut out = vec![tag, len as u8];
        out.extend_from_slice(&key);
        Ok(out)
    }

    /// Wraps a DEK with the KEK: base64 of IV ‖ ciphertext ‖ tag.
    pub fn wrap(&self, kek: &KekValue, raw: &[u8]) -> Result<String, String> {
        let key = self.key(kek)?;
        let mut iv = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut iv)
            .map_err(|_| "no randomness for an IV".to_string())?;
        let mut data = raw.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data)
            .map_err(|_| "cannot encrypt the DEK".to_string())?;
        let mut out = iv.to_vec();
        out.extend_from_slice(&data);
        Ok(b64().encode(out))
    }

    /// Unwraps a DEK wrapped by [`LocalKms::wrap`] (or by a client with the same secret).
    pub fn unwrap(&self, kek: &KekValue, wrapped: &str) -> Result<Vec<u8>, String> {
        let bytes = b64()
            .decode(wrapped.as_bytes())
            .map_err(|e| format!("encryptedKeyMaterial is not base64: {e}"))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err("encryptedKeyMaterial is too short".into());
        }
        let (iv, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| "bad IV".to_string())?;
        let mut data = sealed.to_vec();
        let plain = self
            .key(kek)?
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| "decryption failed (another secret?)".to_string())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(props: &[(&str, &str)]) -> KekValue {
        KekValue {
            name: "k".into(),
            kms_type: "local-kms".into(),
            kms_key_id: "id".into(),
            kms_props: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            doc: None,
            shared: true,
            deleted: false,
        }
    }

    #[test]
    fn wraps_and_unwraps_with_the_same_secret_only() {
        let kms = LocalKms::new("s3cret");
        let raw = LocalKms::generate(Algorithm::Aes256Gcm).unwrap();
        assert_eq!((raw.len(), raw[0], raw[1]), (34, 0x1a, 32));
        assert_eq!(LocalKms::generate(Algorithm::Aes256Siv).unwrap().len(), 66);
        assert_eq!(LocalKms::generate(Algorithm::Aes128Gcm).unwrap().len(), 18);
        let wrapped = kms.wrap(&kek(&[]), &raw).unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&wrapped)
                .unwrap()
                .len(),
            12 + 34 + 16
        );
        assert_eq!(kms.unwrap(&kek(&[]), &wrapped).unwrap(), raw);
        assert!(LocalKms::new("other").unwrap(&kek(&[]), &wrapped).is_err());
        // The KEK's own `secret` wins over the operator's.
        let mine = kek(&[("secret", "other")]);
        let w2 = kms.wrap(&mine, &raw).unwrap();
        assert_eq!(LocalKms::new("other").unwrap(&kek(&[]), &w2).unwrap(), raw);
        assert!(kms.unwrap(&kek(&[]), "!!").is_err());
        assert!(kms.unwrap(&kek(&[]), "AAAA").is_err());
    }
}

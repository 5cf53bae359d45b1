//! Keys and the primitives both protocols share, on `ring` only: PEM armour, a small DER walker
//! that unwraps a SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) into the PKCS#1 `RSAPublicKey` that
//! ring verifies with, RSASSA-PKCS1-v1_5 SHA-256 signatures in base64, and AES-256-GCM with
//! WeChat's `ciphertext || tag` layout.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};

/// A key that could not be read; the text says why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

fn bad(reason: impl Into<String>) -> KeyError {
    KeyError(reason.into())
}

/// The DER inside the first `-----BEGIN <label>-----` block of `pem` (text around it, such as
/// a "TEST-ONLY" line, is ignored).
pub fn pem_der(pem: &str, label: &str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| bad(format!("no `{begin}` block")))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or_else(|| bad(format!("no `{end}` line")))?;
    let body: String = pem[start..start + stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    B64.decode(body)
        .map_err(|e| bad(format!("the {label} block is not base64: {e}")))
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), KeyError> {
    let (&tag, rest) = input.split_first().ok_or_else(|| bad("DER: ends early"))?;
    let (&first, rest) = rest.split_first().ok_or_else(|| bad("DER: no length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad("DER: bad length"));
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(bad("DER: element longer than its input"));
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The PKCS#1 `RSAPublicKey` inside a SubjectPublicKeyInfo:
/// `SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING { 0 unused bits, RSAPublicKey } }`.
pub fn spki_to_pkcs1(spki: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (tag, info, trailing) = der_element(spki)?;
    if tag != SEQUENCE || !trailing.is_empty() {
        return Err(bad("not a SubjectPublicKeyInfo"));
    }
    let (tag, algorithm, rest) = der_element(info)?;
    if tag != SEQUENCE {
        return Err(bad("SubjectPublicKeyInfo: no algorithm"));
    }
    let (tag, oid, _) = der_element(algorithm)?;
    if tag != 0x06 || oid != RSA_ENCRYPTION {
        return Err(bad("not an RSA public key"));
    }
    let (tag, bits, _) = der_element(rest)?;
    match (tag, bits.split_first()) {
        (BIT_STRING, Some((0, key))) => Ok(key.to_vec()),
        _ => Err(bad("SubjectPublicKeyInfo: no key bit string")),
    }
}

/// A private key that signs RSASSA-PKCS1-v1_5 SHA-256 (WeChat `SHA256withRSA`, Alipay `RSA2`).
#[derive(Clone)]
pub struct Signer(Arc<RsaKeyPair>);

impl Signer {
    /// From a PKCS#8 `BEGIN PRIVATE KEY` PEM (`openssl genpkey` writes that form).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = pem_der(pem, "PRIVATE KEY")?;
        RsaKeyPair::from_pkcs8(&der)
            .map(|k| Signer(Arc::new(k)))
            .map_err(|e| bad(format!("not an RSA PKCS#8 private key: {e}")))
    }

    /// The base64 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String, KeyError> {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| bad("RSA signing failed"))?;
        Ok(B64.encode(sig))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

/// A public key that checks those signatures.
#[derive(Clone, Debug)]
pub struct Verifier(Arc<Vec<u8>>);

impl Verifier {
    /// From a `BEGIN PUBLIC KEY` (SPKI) PEM, or a `BEGIN RSA PUBLIC KEY` (PKCS#1) one.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let pkcs1 = match pem_der(pem, "PUBLIC KEY") {
            Ok(spki) => spki_to_pkcs1(&spki)?,
            Err(_) => pem_der(pem, "RSA PUBLIC KEY")?,
        };
        let verifier = Verifier(Arc::new(pkcs1));
        // ring checks the key only when verifying; make a bad one fail at start-up instead.
        let (tag, _, _) = der_element(&verifier.0)?;
        if tag != SEQUENCE {
            return Err(bad("not an RSAPublicKey"));
        }
        Ok(verifier)
    }

    /// Whether `signature_b64` is a valid signature of `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = B64.decode(signature_b64.trim()) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, self.0.as_slice())
            .verify(message, &sig)
            .is_ok()
    }
}

/// Decrypts AEAD_AES_256_GCM as WeChat sends it: `ciphertext_b64` is base64 of
/// `ciphertext || 16-byte tag`; the nonce and associated data are used as their bytes.
pub fn aes_gcm_open(
    key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes()).ok()?;
    let mut data = B64.decode(ciphertext_b64).ok()?;
    let plain = key
        .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .ok()?;
    Some(plain.to_vec())
}

/// The inverse of `aes_gcm_open` (the sandbox encrypts notifications with it).
pub fn aes_gcm_seal(
    key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Option<String> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes()).ok()?;
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .ok()?;
    Some(B64.encode(data))
}

/// `len` random characters of `[0-9A-Za-z]` (nonces).
pub fn nonce(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = vec![0u8; len];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // The system source failing is not recoverable; fall back to uuid's randomness.
        bytes = uuid::Uuid::new_v4().as_bytes().repeat(len / 16 + 1);
        bytes.truncate(len);
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn key(name: &str) -> String {
        let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_pkcs8_key_signs_and_its_spki_public_key_verifies() {
        let signer = Signer::from_pem(&key("wechat-merchant.key.pem")).unwrap();
        let verifier = Verifier::from_pem(&key("wechat-merchant.pub.pem")).unwrap();
        let sig = signer.sign(b"message").unwrap();
        assert!(verifier.verify(b"message", &sig));
        assert!(!verifier.verify(b"messagf", &sig));
        assert!(!verifier.verify(b"message", "not base64!"));
        let wrong = Verifier::from_pem(&key("wrong.pub.pem")).unwrap();
        assert!(!wrong.verify(b"message", &sig));
    }

    #[test]
    fn the_spki_unwrap_yields_the_pkcs1_key_openssl_writes() {
        let spki = pem_der(&key("wechat-merchant.pub.pem"), "PUBLIC KEY").unwrap();
        let pkcs1 = spki_to_pkcs1(&spki).unwrap();
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        let (tag, body, rest) = der_element(&pkcs1).unwrap();
        assert_eq!((tag, rest.len()), (SEQUENCE, 0));
        let (tag, modulus, rest) = der_element(body).unwrap();
        assert_eq!((tag, modulus.len()), (0x02, 257)); // 2048 bits and a leading zero
        let (_, exponent, _) = der_element(rest).unwrap();
        assert_eq!(exponent, [1, 0, 1]);
        // The tail of the SPKI is exactly the PKCS#1 key.
        assert!(spki.ends_with(&pkcs1));
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        assert!(Signer::from_pem("no pem here").is_err());
        assert!(Signer::from_pem(&key("wechat-merchant.pub.pem")).is_err());
        assert!(Verifier::from_pem(&key("wechat-merchant.key.pem")).is_err());
        assert!(spki_to_pkcs1(&[0x30, 0x05, 0x30]).is_err());
        assert!(der_element(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        let broken = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
        assert!(Verifier::from_pem(broken).is_err());
    }

    #[test]
    fn aes_gcm_round_trips_and_refuses_any_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let sealed = aes_gcm_seal(key, "nonce1234567", "transaction", b"{\"a\":1}").unwrap();
        assert_eq!(
            aes_gcm_open(key, "nonce1234567", "transaction", &sealed).unwrap(),
            b"{\"a\":1}"
        );
        assert!(aes_gcm_open(key, "nonce1234568", "transaction", &sealed).is_none());
        assert!(aes_gcm_open(key, "nonce1234567", "refund", &sealed).is_none());
        assert!(aes_gcm_open(
            b"0123456789abcdef0123456789abcdeX",
            "nonce1234567",
            "transaction",
            &sealed
        )
        .is_none());
        let mut raw = B64.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1; // the tag is the last 16 bytes
        assert!(aes_gcm_open(key, "nonce1234567", "transaction", &B64.encode(&raw)).is_none());
        assert!(aes_gcm_open(key, "short", "transaction", &sealed).is_none());
    }

    #[test]
    fn nonces_are_alphanumeric_of_the_asked_length() {
        let n = nonce(32);
        assert_eq!(n.len(), 32);
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(n, nonce(32));
    }
}

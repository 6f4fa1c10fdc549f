//! The digest computation itself (RFC 7616 §3.4.1-3.4.3, RFC 2617 §3.2.2,
//! RFC 8760 for SHA-256 and SHA-512/256 in SIP), plus the keyed hash used
//! for self-validating nonces and a constant-time comparison.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::header::{Algorithm, HashFn, Qop};

/// The algorithm is not one Tandem can compute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported digest algorithm {0}")]
pub struct UnsupportedAlgorithm(pub String);

/// Hashes the concatenation of `parts` and returns lower-case hex.
fn hash_hex(h: HashFn, parts: &[&[u8]]) -> String {
    fn run<D: Digest>(parts: &[&[u8]]) -> String {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        hex::encode(d.finalize())
    }
    match h {
        HashFn::Md5 => run::<Md5>(parts),
        HashFn::Sha256 => run::<Sha256>(parts),
        HashFn::Sha512_256 => run::<Sha512_256>(parts),
    }
}

fn hash_fn(algorithm: &Algorithm) -> Result<HashFn, UnsupportedAlgorithm> {
    algorithm
        .hash_fn()
        .ok_or_else(|| UnsupportedAlgorithm(algorithm.as_str().to_owned()))
}

/// HA1 = H(username ":" realm ":" password), the value a server may store
/// instead of the password. For `-sess` algorithms this is the base value;
/// [`compute_response`] derives the session key from it.
pub fn compute_ha1(
    algorithm: &Algorithm,
    username: &str,
    realm: &str,
    password: &str,
) -> Result<String, UnsupportedAlgorithm> {
    let h = hash_fn(algorithm)?;
    Ok(hash_hex(
        h,
        &[
            username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            password.as_bytes(),
        ],
    ))
}

/// Everything the response hash covers, apart from HA1.
#[derive(Debug, Clone, Copy)]
pub struct ResponseInput<'a> {
    /// The algorithm.
    pub algorithm: &'a Algorithm,
    /// The server nonce.
    pub nonce: &'a str,
    /// The client nonce (required with qop and with `-sess`).
    pub cnonce: Option<&'a str>,
    /// The nonce count (required with qop).
    pub nc: Option<u32>,
    /// The qop in use; `None` is RFC 2069 compatibility mode.
    pub qop: Option<&'a Qop>,
    /// The request method.
    pub method: &'a str,
    /// The digest-uri.
    pub uri: &'a str,
    /// The body (only used with `auth-int`).
    pub body: &'a [u8],
}

/// Why a response could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    /// The algorithm is unknown.
    #[error(transparent)]
    Algorithm(#[from] UnsupportedAlgorithm),
    /// The qop is neither `auth` nor `auth-int`.
    #[error("unsupported qop {0}")]
    UnsupportedQop(String),
    /// qop or `-sess` need a cnonce, qop needs nc.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// The `response` value (RFC 7616 §3.4.1), lower-case hex, from the base HA1
/// (as returned by [`compute_ha1`]).
pub fn compute_response(ha1: &str, input: &ResponseInput<'_>) -> Result<String, ComputeError> {
    let h = hash_fn(input.algorithm)?;
    // RFC 7616 §3.4.2: for -sess, A1 = H(user:realm:pass) ":" nonce ":" cnonce.
    let session_key;
    let ha1 = if input.algorithm.is_session() {
        let cnonce = input.cnonce.ok_or(ComputeError::Missing("cnonce"))?;
        session_key = hash_hex(
            h,
            &[
                ha1.as_bytes(),
                b":",
                input.nonce.as_bytes(),
                b":",
                cnonce.as_bytes(),
            ],
        );
        session_key.as_str()
    } else {
        ha1
    };
    // RFC 7616 §3.4.3: A2 = method ":" uri [":" H(body)].
    let ha2 = match input.qop {
        Some(Qop::AuthInt) => {
            let hbody = hash_hex(h, &[input.body]);
            hash_hex(
                h,
                &[
                    input.method.as_bytes(),
                    b":",
                    input.uri.as_bytes(),
                    b":",
                    hbody.as_bytes(),
                ],
            )
        }
        Some(Qop::Auth) | None => {
            hash_hex(h, &[input.method.as_bytes(), b":", input.uri.as_bytes()])
        }
        Some(Qop::Other(q)) => return Err(ComputeError::UnsupportedQop(q.clone())),
    };
    Ok(match input.qop {
        Some(qop) => {
            let cnonce = input.cnonce.ok_or(ComputeError::Missing("cnonce"))?;
            let nc = format!("{:08x}", input.nc.ok_or(ComputeError::Missing("nc"))?);
            hash_hex(
                h,
                &[
                    ha1.as_bytes(),
                    b":",
                    input.nonce.as_bytes(),
                    b":",
                    nc.as_bytes(),
                    b":",
                    cnonce.as_bytes(),
                    b":",
                    qop.as_str().as_bytes(),
                    b":",
                    ha2.as_bytes(),
                ],
            )
        }
        // RFC 2069 compatibility: H(HA1:nonce:HA2).
        None => hash_hex(
            h,
            &[
                ha1.as_bytes(),
                b":",
                input.nonce.as_bytes(),
                b":",
                ha2.as_bytes(),
            ],
        ),
    })
}

/// HMAC-SHA-256 (RFC 2104) of `msg` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for m in msg {
        inner.update(m);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_rfc4231_vectors() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 test case 6: a key longer than the block is hashed first.
        let key = [0xaau8; 131];
        let mac = hmac_sha256(
            &key,
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn unsupported_algorithm_and_qop() {
        let other = Algorithm::Other("AKAv1-MD5".into());
        assert_eq!(
            compute_ha1(&other, "u", "r", "p"),
            Err(UnsupportedAlgorithm("AKAv1-MD5".into()))
        );
        let q = Qop::Other("x".into());
        let input = ResponseInput {
            algorithm: &Algorithm::Md5,
            nonce: "n",
            cnonce: Some("c"),
            nc: Some(1),
            qop: Some(&q),
            method: "GET",
            uri: "/",
            body: b"",
        };
        assert_eq!(
            compute_response("00", &input),
            Err(ComputeError::UnsupportedQop("x".into()))
        );
    }
}

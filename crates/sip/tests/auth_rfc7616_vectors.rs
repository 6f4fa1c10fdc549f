//! RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
//! (The RFC's printed intermediate MD5 HA1 is a known erratum; the response
//! values checked here are right and were recomputed independently.)

use tandem_sip::auth::{
    Account, Algorithm, Challenge, DigestChallenge, DigestClient, best_challenges,
};

const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn challenge(algorithm: &str) -> String {
    format!(
        "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
         algorithm={algorithm}, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\""
    )
}

fn answer(challenge: &DigestChallenge) -> String {
    let mut client = DigestClient::with_seed(0);
    let creds = client
        .respond_with_cnonce(
            challenge,
            &Account::new("Mufasa", "Circle of Life"),
            "GET",
            "/dir/index.html",
            b"",
            CNONCE,
        )
        .expect("the RFC 7616 challenge is answerable");
    assert_eq!(creds.nc, Some(1));
    assert_eq!(creds.opaque.as_deref(), Some(OPAQUE));
    let text = creds.to_string();
    assert!(text.contains("qop=auth, nc=00000001"), "{text}");
    creds.response
}

#[test]
fn md5_example() {
    let c: DigestChallenge = challenge("MD5").parse().unwrap();
    assert_eq!(answer(&c), "8ca523f5e9506fed4657c9700eebdbec");
}

#[test]
fn sha256_example() {
    let c: DigestChallenge = challenge("SHA-256").parse().unwrap();
    assert_eq!(c.algorithm, Some(Algorithm::Sha256));
    assert_eq!(
        answer(&c),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn both_challenges_offered_sha256_is_answered() {
    // RFC 7616 §3.9.1 sends both; RFC 8760 §2.4 orders SHA-256 first.
    let list: Vec<Challenge> = [challenge("SHA-256"), challenge("MD5")]
        .iter()
        .flat_map(|v| Challenge::parse_list(v).unwrap())
        .collect();
    let best = best_challenges(&list);
    assert_eq!(best.len(), 1);
    assert_eq!(
        answer(best[0]),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    // Listed the other way round, the stronger one still wins.
    let reversed: Vec<Challenge> = list.into_iter().rev().collect();
    assert_eq!(
        best_challenges(&reversed)[0].algorithm,
        Some(Algorithm::Sha256)
    );
}

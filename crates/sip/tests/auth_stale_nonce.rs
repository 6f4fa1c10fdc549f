//! An expired nonce with an otherwise right response is `StaleNonce`
//! (challenge again with stale=true); with a wrong password it is a plain
//! `BadResponse`, so stale=true never confirms a guessed password.

use tandem_sip::auth::{
    Account, AuthFailure, DigestChallenge, DigestClient, DigestServer, UserSecret, VerifyInput,
};

const T0: u64 = 1_750_000_000;
const REALM: &str = "pbx.example.com";

fn input() -> VerifyInput<'static> {
    VerifyInput {
        realm: REALM,
        method: "REGISTER",
        uri: Some("sip:pbx.example.com"),
        body: b"",
    }
}

fn answer(c: &DigestChallenge, password: &str) -> tandem_sip::auth::DigestCredentials {
    DigestClient::with_seed(3)
        .respond(
            c,
            &Account::new("100", password),
            "REGISTER",
            "sip:pbx.example.com",
            b"",
        )
        .expect("the client answers")
}

fn lookup(_: &str, _: &str, _: &tandem_sip::auth::Algorithm) -> Option<UserSecret> {
    Some(UserSecret::Password("right".into()))
}

#[test]
fn nonce_lifetime_boundary() {
    let mut server = DigestServer::new([5; 32]).nonce_lifetime(300);
    let c = server.challenges(T0, REALM, false).remove(0);
    let creds = answer(&c, "right");
    // Exactly at the end of the lifetime it is still fresh...
    assert!(server.verify(T0 + 300, &creds, &input(), lookup).is_ok());
    // ...one second later it is stale.
    let mut server = DigestServer::new([5; 32]).nonce_lifetime(300);
    let err = server
        .verify(T0 + 301, &creds, &input(), lookup)
        .unwrap_err();
    assert_eq!(err, AuthFailure::StaleNonce);
    assert!(err.is_stale());
}

#[test]
fn stale_only_with_the_right_password() {
    let mut server = DigestServer::new([5; 32]).nonce_lifetime(60);
    let c = server.challenges(T0, REALM, false).remove(0);
    let wrong = answer(&c, "guess");
    assert_eq!(
        server.verify(T0 + 3600, &wrong, &input(), lookup),
        Err(AuthFailure::BadResponse)
    );
}

#[test]
fn client_retries_after_stale_challenge() {
    let mut server = DigestServer::new([5; 32]).nonce_lifetime(60);
    let old = server.challenges(T0, REALM, false).remove(0);
    let creds = answer(&old, "right");
    let err = server
        .verify(T0 + 61, &creds, &input(), lookup)
        .unwrap_err();
    // The new challenge carries stale=true and a fresh nonce.
    let fresh = server.challenges(T0 + 61, REALM, err.is_stale()).remove(0);
    let text = fresh.to_string();
    assert!(text.contains("stale=true"), "{text}");
    let parsed: DigestChallenge = text.parse().unwrap();
    assert!(parsed.stale);
    assert_ne!(parsed.nonce, old.nonce);
    let creds = answer(&parsed, "right");
    assert!(server.verify(T0 + 62, &creds, &input(), lookup).is_ok());
}

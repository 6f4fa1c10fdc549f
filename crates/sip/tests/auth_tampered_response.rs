//! Every part the digest covers is checked: response, method, body
//! (auth-int), URI, nonce, realm, user, algorithm, qop.

use tandem_sip::auth::{
    Account, Algorithm, AuthFailure, DigestClient, DigestCredentials, DigestServer, Qop,
    UserSecret, VerifyInput,
};

const NOW: u64 = 1_750_000_000;
const REALM: &str = "pbx.example.com";
const URI: &str = "sip:200@pbx.example.com";
const BODY: &[u8] = b"v=0\r\n";

fn setup() -> (DigestServer, DigestCredentials) {
    let mut server = DigestServer::new([9; 32]).qop(vec![Qop::AuthInt]);
    let c = server.challenges(NOW, REALM, false).remove(0);
    let creds = DigestClient::with_seed(4)
        .respond(&c, &Account::new("100", "pw"), "INVITE", URI, BODY)
        .expect("the client answers");
    (server, creds)
}

fn verify(
    server: &mut DigestServer,
    creds: &DigestCredentials,
    method: &str,
    body: &[u8],
) -> Result<tandem_sip::auth::AuthOk, AuthFailure> {
    let input = VerifyInput {
        realm: REALM,
        method,
        uri: Some(URI),
        body,
    };
    server.verify(NOW + 1, creds, &input, |user, _, _| {
        (user == "100").then(|| UserSecret::Password("pw".into()))
    })
}

#[test]
fn untouched_credentials_pass() {
    let (mut server, creds) = setup();
    assert!(verify(&mut server, &creds, "INVITE", BODY).is_ok());
}

#[test]
fn flipped_response_digit() {
    let (mut server, mut creds) = setup();
    let mut r = creds.response.into_bytes();
    r[0] = if r[0] == b'0' { b'1' } else { b'0' };
    creds.response = String::from_utf8(r).unwrap();
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::BadResponse)
    );
}

#[test]
fn truncated_response() {
    let (mut server, mut creds) = setup();
    creds.response.truncate(31);
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::BadResponse)
    );
}

#[test]
fn other_method_or_body() {
    let (mut server, creds) = setup();
    assert_eq!(
        verify(&mut server, &creds, "BYE", BODY),
        Err(AuthFailure::BadResponse)
    );
    assert_eq!(
        verify(&mut server, &creds, "INVITE", b"v=1\r\n"),
        Err(AuthFailure::BadResponse)
    );
}

#[test]
fn other_uri() {
    let (mut server, mut creds) = setup();
    creds.uri = "sip:900@pbx.example.com".into();
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::UriMismatch)
    );
}

#[test]
fn forged_nonce() {
    let (mut server, mut creds) = setup();
    creds.nonce = "0".repeat(64);
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::InvalidNonce)
    );
    creds.nonce = "not-hex".into();
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::InvalidNonce)
    );
    // A nonce from a server with another secret.
    let mut other = DigestServer::new([10; 32]);
    creds.nonce = other.challenges(NOW, REALM, false).remove(0).nonce;
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::InvalidNonce)
    );
}

#[test]
fn wrong_realm_unknown_user() {
    let (mut server, mut creds) = setup();
    let mut elsewhere = creds.clone();
    elsewhere.realm = "other.example.com".into();
    assert_eq!(
        verify(&mut server, &elsewhere, "INVITE", BODY),
        Err(AuthFailure::WrongRealm {
            expected: REALM.into(),
            got: "other.example.com".into()
        })
    );
    creds.username = "999".into();
    assert_eq!(
        verify(&mut server, &creds, "INVITE", BODY),
        Err(AuthFailure::UnknownUser)
    );
}

#[test]
fn downgrades_refused() {
    let (mut server, creds) = setup();
    let mut other_alg = creds.clone();
    other_alg.algorithm = Some(Algorithm::Sha512_256);
    assert_eq!(
        verify(&mut server, &other_alg, "INVITE", BODY),
        Err(AuthFailure::UnsupportedAlgorithm("SHA-512-256".into()))
    );
    let mut weaker_qop = creds.clone();
    weaker_qop.qop = Some(Qop::Auth);
    assert_eq!(
        verify(&mut server, &weaker_qop, "INVITE", BODY),
        Err(AuthFailure::UnsupportedQop("auth".into()))
    );
    let mut no_qop = creds;
    no_qop.qop = None;
    assert_eq!(
        verify(&mut server, &no_qop, "INVITE", BODY),
        Err(AuthFailure::QopRequired)
    );
}

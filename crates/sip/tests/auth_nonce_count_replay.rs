//! Credentials replayed with the same nonce count are refused; counts may
//! arrive out of order within a window.

use tandem_sip::auth::{
    Account, AuthFailure, DigestClient, DigestCredentials, DigestServer, UserSecret, VerifyInput,
};

const NOW: u64 = 1_750_000_000;
const REALM: &str = "pbx.example.com";

fn verify(server: &mut DigestServer, creds: &DigestCredentials) -> Result<u32, AuthFailure> {
    let input = VerifyInput {
        realm: REALM,
        method: "REGISTER",
        uri: None,
        body: b"",
    };
    server
        .verify(NOW, creds, &input, |_, _, _| {
            Some(UserSecret::Password("pw".into()))
        })
        .map(|ok| ok.nc.unwrap_or(0))
}

#[test]
fn replay_refused_out_of_order_accepted() {
    let mut server = DigestServer::new([1; 32]);
    let c = server.challenges(NOW, REALM, false).remove(0);
    let mut client = DigestClient::with_seed(2);
    let acct = Account::new("100", "pw");
    let creds: Vec<DigestCredentials> = (0..3)
        .map(|_| {
            client
                .respond(&c, &acct, "REGISTER", "sip:pbx.example.com", b"")
                .unwrap()
        })
        .collect();

    assert_eq!(verify(&mut server, &creds[0]), Ok(1));
    assert_eq!(verify(&mut server, &creds[0]), Err(AuthFailure::Replay));
    assert_eq!(verify(&mut server, &creds[2]), Ok(3));
    assert_eq!(verify(&mut server, &creds[1]), Ok(2));
    assert_eq!(verify(&mut server, &creds[1]), Err(AuthFailure::Replay));
    assert_eq!(verify(&mut server, &creds[2]), Err(AuthFailure::Replay));
}

#[test]
fn without_qop_refused_by_default_accepted_when_allowed() {
    let mut strict = DigestServer::new([1; 32]);
    let mut c = strict.challenges(NOW, REALM, false).remove(0);
    c.qop.clear(); // An RFC 2069 client ignores qop.
    let creds = DigestClient::with_seed(2)
        .respond(
            &c,
            &Account::new("100", "pw"),
            "REGISTER",
            "sip:pbx.example.com",
            b"",
        )
        .unwrap();
    assert_eq!(creds.nc, None);
    assert_eq!(verify(&mut strict, &creds), Err(AuthFailure::QopRequired));
    let mut lenient = DigestServer::new([1; 32]).allow_rfc2069(true);
    assert_eq!(verify(&mut lenient, &creds), Ok(0));
}

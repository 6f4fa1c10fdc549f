//! RFC 2617 §3.5 (also RFC 3261 §22.4's example values): Mufasa / "Circle Of
//! Life", qop=auth, MD5 -> response 6629fae49393a05397450978507c4ef1.

use tandem_sip::auth::{
    Account, Algorithm, DigestChallenge, DigestClient, DigestCredentials, Qop, ResponseInput,
    compute_ha1, compute_response,
};

const CHALLENGE: &str = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
     nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

#[test]
fn rfc2617_example_response() {
    let ha1 = compute_ha1(
        &Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    )
    .unwrap();
    let response = compute_response(
        &ha1,
        &ResponseInput {
            algorithm: &Algorithm::Md5,
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: Some("0a4f113b"),
            nc: Some(1),
            qop: Some(&Qop::Auth),
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        },
    )
    .unwrap();
    assert_eq!(response, "6629fae49393a05397450978507c4ef1");
}

#[test]
fn client_answers_the_rfc2617_challenge_with_the_published_credentials() {
    let challenge: DigestChallenge = CHALLENGE.parse().unwrap();
    let mut client = DigestClient::with_seed(0);
    let creds = client
        .respond_with_cnonce(
            &challenge,
            &Account::new("Mufasa", "Circle Of Life"),
            "GET",
            "/dir/index.html",
            b"",
            "0a4f113b",
        )
        .unwrap();
    let published: DigestCredentials = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, \
         nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""
        .parse()
        .unwrap();
    assert_eq!(creds, published);
    // And the formatted header value parses back to the same thing.
    assert_eq!(
        creds.to_string().parse::<DigestCredentials>().unwrap(),
        published
    );
}

//! Server challenge -> client answer -> server verify, through the header
//! text, for every supported algorithm and both qop values, with the
//! password or a stored HA1 on the server side.

use tandem_sip::auth::{
    Account, Algorithm, Challenge, DigestClient, DigestCredentials, DigestServer, Qop, UserSecret,
    VerifyInput, best_challenges, compute_ha1,
};

const NOW: u64 = 1_750_000_000;
const REALM: &str = "trunk.example.net";

fn server(algorithm: &Algorithm, qop: &Qop) -> DigestServer {
    DigestServer::new([42; 32])
        .algorithms(vec![algorithm.clone()])
        .qop(vec![qop.clone()])
}

fn run(algorithm: Algorithm, qop: Qop, stored_ha1: bool) {
    let mut server = server(&algorithm, &qop);
    let headers: Vec<String> = server
        .challenges(NOW, REALM, false)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(headers.len(), 1);

    // The client only sees text.
    let parsed: Vec<Challenge> = headers
        .iter()
        .flat_map(|h| Challenge::parse_list(h).expect("our challenge parses"))
        .collect();
    let chosen = best_challenges(&parsed)[0].clone();
    assert_eq!(chosen.algorithm(), algorithm);
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    let mut client = DigestClient::with_seed(9);
    let account = Account::new("alice", "s3cret");
    let line = client
        .respond(
            &chosen,
            &account,
            "INVITE",
            "sip:+15550100@trunk.example.net",
            body,
        )
        .expect("the client answers")
        .to_string();

    let creds: DigestCredentials = line.parse().expect("our credentials parse");
    assert_eq!(creds.qop.as_ref(), Some(&qop));
    let input = VerifyInput {
        realm: REALM,
        method: "INVITE",
        uri: Some("sip:+15550100@trunk.example.net"),
        body,
    };
    let ok = server
        .verify(NOW + 10, &creds, &input, |user, realm, alg| {
            assert_eq!((user, realm), ("alice", REALM));
            Some(if stored_ha1 {
                UserSecret::Ha1(
                    compute_ha1(alg, user, realm, "s3cret").expect("supported algorithm"),
                )
            } else {
                UserSecret::Password("s3cret".into())
            })
        })
        .unwrap_or_else(|e| panic!("{algorithm} {qop} ha1={stored_ha1}: {e}"));
    assert_eq!(ok.username, "alice");
    assert_eq!(ok.algorithm, algorithm);
    assert_eq!(ok.nc, Some(1));

    // A second request reusing the nonce: nc=2, also accepted.
    let again: DigestCredentials = client
        .respond(
            &chosen,
            &account,
            "INVITE",
            "sip:+15550100@trunk.example.net",
            body,
        )
        .expect("the client answers again")
        .to_string()
        .parse()
        .expect("our credentials parse");
    assert_eq!(again.nc, Some(2));
    let ok = server
        .verify(NOW + 20, &again, &input, |_, _, _| {
            Some(UserSecret::Password("s3cret".into()))
        })
        .expect("nc=2 is accepted");
    assert_eq!(ok.nc, Some(2));
}

#[test]
fn every_algorithm_and_qop() {
    for algorithm in Algorithm::SUPPORTED {
        for qop in [Qop::Auth, Qop::AuthInt] {
            for stored_ha1 in [false, true] {
                run(algorithm.clone(), qop.clone(), stored_ha1);
            }
        }
    }
}

#[test]
fn default_server_offers_sha256_then_md5_and_both_verify() {
    let mut server = DigestServer::new([7; 32]);
    let offered = server.challenges(NOW, REALM, false);
    let algs: Vec<Algorithm> = offered.iter().map(|c| c.algorithm()).collect();
    assert_eq!(algs, [Algorithm::Sha256, Algorithm::Md5]);
    assert!(offered.iter().all(|c| c.qop == [Qop::Auth] && !c.stale));
    // Each answer in its own 401 (two answers with nc=1 to one nonce would
    // be a replay).
    for i in 0..offered.len() {
        let c = &server.challenges(NOW, REALM, false)[i];
        let mut client = DigestClient::with_seed(1);
        let creds = client
            .respond(
                c,
                &Account::new("bob", "pw"),
                "REGISTER",
                "sip:trunk.example.net",
                b"",
            )
            .unwrap();
        let input = VerifyInput {
            realm: REALM,
            method: "REGISTER",
            uri: Some("sip:trunk.example.net"),
            body: b"",
        };
        server
            .verify(NOW, &creds, &input, |_, _, _| {
                Some(UserSecret::Password("pw".into()))
            })
            .unwrap();
    }
}

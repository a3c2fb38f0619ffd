//! TLS and mutual TLS over real connections, with certificates made in the test: a client that
//! trusts the server's CA is served; plaintext, an untrusted CA, and (under mutual TLS) a client
//! without a certificate or with one from another CA are refused.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::harness::{Server, StoreDir, cli};

/// A CA, and certificates it signs, written as PEM files into a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key"))
            .expect("the CA certificate");
        let pki = Pki {
            dir: tempfile::tempdir().expect("a temporary directory"),
            ca,
        };
        std::fs::write(pki.path("ca.pem"), pki.ca.pem()).expect("write the CA");
        pki
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Issues a certificate for `names`; returns (certificate file, key file).
    fn issue(&self, stem: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.distinguished_name.push(DnType::CommonName, stem);
        let key = KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.ca).expect("signed");
        let (cert_file, key_file) = (
            self.path(&format!("{stem}.pem")),
            self.path(&format!("{stem}.key")),
        );
        std::fs::write(&cert_file, cert.pem()).expect("write the certificate");
        std::fs::write(&key_file, key.serialize_pem()).expect("write the key");
        (cert_file, key_file)
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn tls_serves_clients_that_trust_the_ca_and_refuses_the_rest() {
    let pki = Pki::new("verbatim");
    let (cert, key) = pki.issue("server", &["localhost", "127.0.0.1"]);
    let dir = StoreDir::new();
    let server = Server::start_on(
        &dir.url(),
        &["--tls-cert", text(&cert), "--tls-key", text(&key)],
    );
    let ca = pki.path("ca.pem");

    let (code, stdout, stderr) = cli(&server.url(), &["--tls-ca", text(&ca), "health"]);
    assert_eq!((code, stdout.trim()), (0, "SERVING"), "{stderr}");
    let (code, _, stderr) = cli(
        &server.url(),
        &[
            "--tls-ca",
            text(&ca),
            "quote",
            "add",
            "Sent over TLS.",
            "--speaker",
            "Ada",
        ],
    );
    assert_eq!(code, 0, "{stderr}");

    let (code, _, stderr) = cli(&server.url(), &["health"]);
    assert_eq!(code, 2, "plaintext is not served: {stderr}");
    let https = server.url().replace("http://", "https://");
    let (code, _, stderr) = cli(&https, &["health"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--tls-ca"), "{stderr}");
    let stranger = Pki::new("stranger");
    let (code, _, _) = cli(
        &server.url(),
        &["--tls-ca", text(&stranger.path("ca.pem")), "health"],
    );
    assert_eq!(
        code, 2,
        "a CA that did not sign the server's certificate is not trusted"
    );
}

#[test]
fn mutual_tls_refuses_clients_without_a_certificate_from_the_client_ca() {
    let pki = Pki::new("verbatim");
    let (cert, key) = pki.issue("server", &["localhost", "127.0.0.1"]);
    let (client_cert, client_key) = pki.issue("newsroom-cms", &["newsroom-cms"]);
    let dir = StoreDir::new();
    let ca = pki.path("ca.pem");
    let server = Server::start_on(
        &dir.url(),
        &[
            "--tls-cert",
            text(&cert),
            "--tls-key",
            text(&key),
            "--tls-client-ca",
            text(&ca),
        ],
    );
    let trusted = ["--tls-ca", text(&ca)];

    let (code, _, stderr) = cli(&server.url(), &[&trusted[..], &["health"]].concat());
    assert_eq!(code, 2, "no client certificate: {stderr}");
    assert!(
        stderr.contains("--tls-client-cert"),
        "says what to check: {stderr}"
    );
    let with_certificate = [
        "--tls-client-cert",
        text(&client_cert),
        "--tls-client-key",
        text(&client_key),
    ];
    let (code, stdout, stderr) = cli(
        &server.url(),
        &[&trusted[..], &with_certificate[..], &["health"]].concat(),
    );
    assert_eq!((code, stdout.trim()), (0, "SERVING"), "{stderr}");

    let stranger = Pki::new("stranger");
    let (other_cert, other_key) = stranger.issue("intruder", &["intruder"]);
    let (code, _, _) = cli(
        &server.url(),
        &[
            &trusted[..],
            &[
                "--tls-client-cert",
                text(&other_cert),
                "--tls-client-key",
                text(&other_key),
                "health",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 2, "a client certificate from another CA is refused");
    let (code, _, stderr) = cli(
        &server.url(),
        &[
            &trusted[..],
            &["--tls-client-cert", text(&client_cert), "health"],
        ]
        .concat(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("go together"), "{stderr}");
}

//! A certificate authority made for one test run, with the `openssl` command: a CA, a
//! server certificate it signed for 127.0.0.1 and `localhost`, and an unrelated second CA
//! (the wrong one). Files live in a temporary folder removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

const CA_CONFIG: &str = "[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = runtime-store test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
";

const SERVER_CONFIG: &str = "[req]
distinguished_name = dn
prompt = no
[dn]
CN = 127.0.0.1
";

const SERVER_EXTENSIONS: &str = "subjectAltName = IP:127.0.0.1, DNS:localhost
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
";

/// The files of a test CA.
#[derive(Debug)]
pub struct TestCa {
    dir: PathBuf,
}

impl TestCa {
    /// Generates the CA, the server certificate and the wrong CA (P-256 keys, valid two
    /// days). Panics, saying why, when `openssl` is missing or fails.
    pub fn generate() -> TestCa {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rst_tls_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
        let ca = TestCa { dir };
        ca.write("ca.cnf", CA_CONFIG);
        ca.write("server.cnf", SERVER_CONFIG);
        ca.write("server.ext", SERVER_EXTENSIONS);
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (name, cert, key_file) in [
            ("CA", "ca.crt", "ca.key"),
            ("wrong CA", "wrong-ca.crt", "wrong-ca.key"),
        ] {
            ca.openssl(
                name,
                &[&["req", "-x509", "-new", "-config", "ca.cnf"], &key[..]].concat(),
                &["-keyout", key_file, "-out", cert, "-days", "2"],
            );
        }
        ca.openssl(
            "server request",
            &[&["req", "-new", "-config", "server.cnf"], &key[..]].concat(),
            &["-keyout", "server.key", "-out", "server.csr"],
        );
        ca.openssl(
            "server certificate",
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
            ],
            &["-out", "server.crt", "-days", "2", "-extfile", "server.ext"],
        );
        ca
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.dir.join(name);
        std::fs::write(&path, text)
            .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
    }

    fn openssl(&self, what: &str, args: &[&str], more: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .args(more)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|error| {
                panic!("running openssl ({what}): {error}; the TLS tests need the openssl command")
            });
        assert!(
            output.status.success(),
            "openssl ({what}) failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate (PEM): what `sslrootcert` names to trust the server.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// An unrelated CA's certificate: trusting it, the server's certificate fails.
    pub fn wrong_ca_cert(&self) -> PathBuf {
        self.dir.join("wrong-ca.crt")
    }

    /// The server's certificate and key (PEM), for `ssl_cert_file` / `ssl_key_file`.
    pub fn server_cert_and_key(&self) -> (PathBuf, PathBuf) {
        (self.dir.join("server.crt"), self.dir.join("server.key"))
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

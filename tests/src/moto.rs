//! moto server (DynamoDB and SQS) on loopback.
//!
//! `make test` starts one server and exports `STORESYNC_MOTO_URL`; without it, the first test
//! of a process starts its own (from the project's `.venv`) on a free port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static SERVER: OnceLock<String> = OnceLock::new();
static CHILD: Mutex<Option<Child>> = Mutex::new(None);

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_until_listening(port: u16, timeout: Duration) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < timeout,
            "moto server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The moto endpoint, e.g. `http://127.0.0.1:5000`.
pub fn endpoint() -> String {
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("STORESYNC_MOTO_URL") {
                return url;
            }
            let root = workspace_root();
            let python = root.join(".venv/bin/python");
            assert!(
                python.exists(),
                "{} is missing: run `make venv` (or `make test`, which does it)",
                python.display()
            );
            let port = free_port();
            let child = Command::new(python)
                .arg(root.join("tools/moto_server.py"))
                .arg(port.to_string())
                .arg(std::process::id().to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto server starts");
            *CHILD.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
            wait_until_listening(port, Duration::from_secs(30));
            format!("http://127.0.0.1:{port}")
        })
        .clone()
}

/// AWS configuration pointing at the moto server, with dummy credentials.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

//! `make run` answers its own walk-through: start the real binary, run the printed commands
//! with bash, twice and from another directory, and find the order paid each time.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_printed_walkthrough_runs_twice_from_any_directory_and_ends_with_the_order_paid_and_in_salesforce()
 {
    let port = free_port();
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_storesync-dev"))
            .env("PORT", port.to_string())
            .env("SF_EMULATOR_PORT", free_port().to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the dev stack starts"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut script = String::new();
    let mut in_script = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.trim_start().starts_with("# 1.") {
            in_script = true;
        }
        if in_script {
            if line.trim().is_empty() {
                break;
            }
            script.push_str(line.trim_start());
            script.push('\n');
        }
    }
    assert!(
        script.contains("/checkout"),
        "the walk-through was printed: {script}"
    );

    // Twice, as someone trying the stack would, and from a directory other than the checkout.
    let elsewhere = std::env::temp_dir();
    for run in 1..=2 {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!("set -e\n{script}"))
            .current_dir(&elsewhere)
            .output()
            .expect("bash runs");
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {out}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json_lines: Vec<serde_json::Value> = out
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let orders = json_lines
            .iter()
            .find(|v| v.get("orders").is_some())
            .expect("step 7 lists the orders");
        assert_eq!(orders["orders"][0]["status"], "paid", "run {run}: {out}");
        // Step 8: the same order in Salesforce, a record per query.
        let records = |object: &str| {
            json_lines
                .iter()
                .filter_map(|v| v["records"].as_array())
                .flatten()
                .find(|r| r["attributes"]["type"] == object)
                .cloned()
                .unwrap_or_else(|| panic!("run {run}: no {object} in {out}"))
        };
        assert_eq!(records("Contact")["Name"], "Alice Ng", "run {run}");
        assert_eq!(
            records("Opportunity")["StageName"],
            "Closed Won",
            "run {run}"
        );
        assert_eq!(records("Order")["Status"], "Activated", "run {run}");
        assert!(
            out.contains(r#""outcome":"applied""#),
            "the webhook was applied: {out}"
        );
        assert_eq!(
            (
                out.matches(r#""outcome":"applied""#).count(),
                out.matches(r#""outcome":"replayed""#).count()
            ),
            (1, 1),
            "run {run}: the report sent twice changes the order once: {out}"
        );
    }
}

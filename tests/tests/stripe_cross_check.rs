//! Webhook signatures agree with Stripe's own library (PyPI `stripe`, in the project venv):
//! what Stripe signs, storesync accepts; what storesync's signer produces, Stripe verifies.

use std::path::PathBuf;
use std::process::Command;

use axum::http::{HeaderMap, HeaderValue};
use payment_webhook::gateway::{GatewayReport, PaymentGateway, WebhookError};
use payment_webhook::stripe::{SIGNATURE_HEADER, StripeGateway};

const SECRET: &str = "whsec_cross_check_secret";

fn python(code: &str, args: &[&str]) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(root.join(".venv/bin/python"))
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("the project venv has python (make venv)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn payload() -> String {
    serde_json::json!({
        "id": "evt_cross", "object": "event", "type": "payment_intent.succeeded",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {"id": "pi_x", "amount": 1234, "amount_received": 1234, "currency": "eur",
                            "metadata": {"order_id": "ord_00000000000000000000000000000000"}}}
    })
    .to_string()
}

#[test]
fn a_header_signed_by_stripes_library_is_accepted() {
    let body = payload();
    let header = python(
        "import sys, stripe; print(stripe.WebhookSignature.generate_signature_header(sys.argv[1], sys.argv[2]))",
        &[&body, SECRET],
    );
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&header).unwrap());
    let gateway = StripeGateway::new([SECRET.to_owned()], 300);
    let report = gateway
        .verify(&headers, body.as_bytes(), chrono::Utc::now())
        .unwrap();
    assert!(matches!(report, GatewayReport::Payment(e) if e.amount.minor_units() == 1234));
    let other = StripeGateway::new(["whsec_other".to_owned()], 300);
    assert_eq!(
        other.verify(&headers, body.as_bytes(), chrono::Utc::now()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_header_from_our_signer_is_verified_by_stripes_library() {
    let body = payload();
    let header =
        StripeGateway::signature_header(SECRET, chrono::Utc::now().timestamp(), body.as_bytes());
    let verdict = |secret: &str| {
        python(
            "import sys, stripe\n\
             try:\n    print(stripe.WebhookSignature.verify_header(sys.argv[1], sys.argv[2], sys.argv[3], 300))\n\
             except stripe.SignatureVerificationError:\n    print('refused')",
            &[&body, &header, secret],
        )
    };
    assert_eq!(verdict(SECRET), "True");
    assert_eq!(verdict("whsec_other"), "refused");
}

//! The SES adapter on the wire, against moto's SES v2: `SendEmail` with text and HTML from a
//! verified sender is taken; from an unverified one it is refused (`MessageRejected`) without
//! the address in the error, as SES's sandbox does.

use storesync_core::ids::Email;
use storesync_core::notifications::{EmailMessage, Notifications, NotifyError};
use storesync_ses::{SesNotifications, SesSettings};
use storesync_tests::moto;

fn message(to: &str) -> EmailMessage {
    EmailMessage {
        id: "ord_1#order_confirmation".into(),
        to: Email::parse(to).unwrap(),
        subject: "Your order 1001 is confirmed".into(),
        text: "Total: 1.234,50 €".into(),
        html: "<p>Total: 1.234,50 €</p>".into(),
    }
}

fn settings(from: &str) -> SesSettings {
    SesSettings {
        from: from.into(),
        configuration_set: None,
        region: None,
    }
}

#[tokio::test]
async fn ses_takes_mail_from_a_verified_sender_and_refuses_an_unverified_one() {
    let aws = moto::aws_config().await;
    let sender = format!("orders-{}@shop.example.com", uuid::Uuid::new_v4().simple());

    let unverified = SesNotifications::from_aws(&aws, settings(&sender));
    match unverified.send(&message("buyer@example.com")).await {
        Err(NotifyError::Refused(code)) => {
            assert_eq!(code, "MessageRejected");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    aws_sdk_sesv2::Client::new(&aws)
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("moto creates the identity");
    let verified = SesNotifications::from_aws(&aws, settings(&sender));
    verified
        .send(&message("buyer@example.com"))
        .await
        .expect("SES takes the mail");
}

#[tokio::test]
async fn an_unreachable_mail_service_is_worth_another_try() {
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let ses = SesNotifications::from_aws(&aws, settings("orders@shop.example.com"));
    assert!(matches!(
        ses.send(&message("buyer@example.com")).await,
        Err(NotifyError::Unavailable(_))
    ));
}

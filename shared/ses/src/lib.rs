//! Customers' mails through Amazon SES (API v2 `SendEmail`), as text and HTML from one
//! verified sender identity, in an optional configuration set.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use storesync_core::notifications::{EmailMessage, Notifications, NotifyError};

/// Who the mails come from and how SES files them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSettings {
    /// The verified sender, e.g. `Store <orders@example.com>`.
    pub from: String,
    pub configuration_set: Option<String>,
    /// The SES region when not the function's own (identities are regional).
    pub region: Option<String>,
}

impl SesSettings {
    /// `STORESYNC_MAIL_FROM` (without it, no customer mail is sent),
    /// `STORESYNC_MAIL_CONFIGURATION_SET` and `STORESYNC_MAIL_REGION`, blanks as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<SesSettings> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Some(SesSettings {
            from: get("STORESYNC_MAIL_FROM")?,
            configuration_set: get("STORESYNC_MAIL_CONFIGURATION_SET"),
            region: get("STORESYNC_MAIL_REGION"),
        })
    }
}

pub struct SesNotifications {
    client: Client,
    settings: SesSettings,
}

impl SesNotifications {
    pub fn new(client: Client, settings: SesSettings) -> Self {
        SesNotifications { client, settings }
    }

    /// The client for `aws`, in the settings' region if they name one.
    pub fn from_aws(aws: &aws_config::SdkConfig, settings: SesSettings) -> Self {
        let mut config = aws_sdk_sesv2::config::Builder::from(aws);
        if let Some(region) = &settings.region {
            config = config.region(aws_sdk_sesv2::config::Region::new(region.clone()));
        }
        SesNotifications::new(Client::from_conf(config.build()), settings)
    }
}

fn utf8(data: &str) -> Result<Content, NotifyError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| NotifyError::Unavailable(Box::new(e)))
}

#[async_trait]
impl Notifications for SesNotifications {
    async fn send(&self, message: &EmailMessage) -> Result<(), NotifyError> {
        let content = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(utf8(&message.subject)?)
                    .body(
                        Body::builder()
                            .text(utf8(&message.text)?)
                            .html(utf8(&message.html)?)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.settings.from)
            .destination(
                Destination::builder()
                    .to_addresses(message.to.as_str())
                    .build(),
            )
            .content(content)
            .set_configuration_set_name(self.settings.configuration_set.clone())
            .send()
            .await;
        match sent {
            Ok(output) => {
                tracing::debug!(
                    ses_message_id = output.message_id().unwrap_or_default(),
                    "SES took the mail"
                );
                Ok(())
            }
            Err(error) => Err(classify(error)),
        }
    }
}

/// A refusal names the SES error code only: SES messages may quote the recipient's address.
fn classify(error: SdkError<SendEmailError>) -> NotifyError {
    let refused = match &error {
        SdkError::ServiceError(e) => match e.err() {
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_) => {
                Some(e.err().code().unwrap_or("Refused").to_owned())
            }
            // Paused or suspended sending, quotas and throttling pass: try again later.
            _ => None,
        },
        _ => None,
    };
    match refused {
        Some(code) => NotifyError::Refused(code),
        None => NotifyError::Unavailable(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn without_a_sender_no_mail_is_sent_and_with_one_the_rest_is_optional() {
        assert_eq!(SesSettings::from_lookup(lookup(&[])), None);
        assert_eq!(
            SesSettings::from_lookup(lookup(&[("STORESYNC_MAIL_FROM", " ")])),
            None
        );
        assert_eq!(
            SesSettings::from_lookup(lookup(&[
                ("STORESYNC_MAIL_FROM", "orders@example.com"),
                ("STORESYNC_MAIL_REGION", "eu-west-1"),
            ])),
            Some(SesSettings {
                from: "orders@example.com".into(),
                configuration_set: None,
                region: Some("eu-west-1".into()),
            })
        );
    }
}

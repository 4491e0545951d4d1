//! The SES v2 mailer (email-sender).

use app::email::mailer::{MailError, Mailer, OutgoingEmail};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};

pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    /// The configuration set whose event destination reports bounces and complaints
    /// (`SES_CONFIGURATION_SET`); none: SES sends without one.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, configuration_set: Option<String>) -> Self {
        SesMailer {
            client,
            configuration_set: configuration_set.filter(|c| !c.trim().is_empty()),
        }
    }

    /// With the configuration set named by `SES_CONFIGURATION_SET`, if set.
    pub fn from_env(client: aws_sdk_sesv2::Client) -> Self {
        Self::new(client, std::env::var("SES_CONFIGURATION_SET").ok())
    }
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Rejected(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let mut body = Body::builder().text(content(&email.text)?);
        if let Some(html) = &email.html {
            body = body.html(content(html)?);
        }
        let (name, value) = app::email::mailer::AUTO_SUBMITTED;
        let auto = aws_sdk_sesv2::types::MessageHeader::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(body.build())
            .headers(auto)
            .build();
        let tags = email
            .tags
            .iter()
            .map(|(name, value)| MessageTag::builder().name(name).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        let out = self
            .client
            .send_email()
            .set_configuration_set_name(self.configuration_set.clone())
            .set_email_tags(Some(tags).filter(|t| !t.is_empty()))
            .from_email_address(email.from_header())
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id.unwrap_or_default())
    }
}

/// SES's refusals that no retry can change (a rejected message or address, a sender not
/// verified, a bad request) against the ones that pass (throttling, outages).
fn classify(e: aws_sdk_sesv2::error::SdkError<aws_sdk_sesv2::operation::send_email::SendEmailError>) -> MailError {
    use aws_sdk_sesv2::operation::send_email::SendEmailError as E;
    let permanent = e.as_service_error().is_some_and(|s| {
        matches!(
            s,
            E::MessageRejected(_)
                | E::MailFromDomainNotVerifiedException(_)
                | E::BadRequestException(_)
                | E::NotFoundException(_)
        )
    });
    let text = aws_sdk_sesv2::error::DisplayErrorContext(e).to_string();
    if permanent {
        MailError::Rejected(text)
    } else {
        MailError::Retry(text)
    }
}

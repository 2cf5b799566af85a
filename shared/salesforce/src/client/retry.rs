//! The one loop that resends: bounded attempts, exponential backoff with full jitter. What
//! may be resent is the caller's to say, try by try.

use std::time::Duration;

use rand::Rng;

use crate::config::RetryPolicy;
use crate::error::SalesforceError;

/// Why one try failed, and whether another may follow.
pub(super) struct Failure {
    pub error: SalesforceError,
    pub may_resend: bool,
}

impl Failure {
    /// A failure worth another try when the error is retryable at all.
    pub fn retryable(error: SalesforceError) -> Self {
        Self {
            may_resend: error.is_retryable(),
            error,
        }
    }
}

/// An error passed on with `?` ends the call: no other try is made.
impl From<SalesforceError> for Failure {
    fn from(error: SalesforceError) -> Self {
        Self {
            error,
            may_resend: false,
        }
    }
}

/// Runs `attempt` until it succeeds, fails with a failure that may not be resent, or
/// `policy.max_attempts` tries are spent, sleeping a jittered backoff between tries.
/// `operation` names the call in log lines (never a value: see `call::operation`).
pub(super) async fn with_retries<T, Fut>(
    policy: RetryPolicy,
    operation: &str,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T, SalesforceError>
where
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        let failure = match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        if failure.may_resend && tries < policy.max_attempts {
            let delay = backoff(policy, tries);
            tracing::warn!(operation, attempt = tries, delay_ms = delay.as_millis() as u64, error = %failure.error, "retrying salesforce call");
            tokio::time::sleep(delay).await;
            continue;
        }
        return Err(failure.error);
    }
}

/// Full jitter: uniform in `[0, ceiling]`, so clients that failed together do not retry
/// together.
fn backoff(policy: RetryPolicy, attempt: u32) -> Duration {
    let ceiling = policy.ceiling(attempt);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::rng().random_range(0..=micros))
}

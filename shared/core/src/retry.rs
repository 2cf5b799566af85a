//! Optimistic concurrency for the use cases: read, decide, write on condition that nothing
//! changed since the read; when another writer got there first, read again.

use std::future::Future;

use crate::app_error::AppError;

/// How many times a use case reads and tries again after losing a race, before it answers
/// [`AppError::Conflict`]. Races are short (two requests for one cart or order), so a few
/// rounds settle them; a request that still loses is told to retry.
pub const CONFLICT_RETRIES: usize = 8;

/// What one attempt came to.
#[derive(Debug)]
pub enum Attempt<T> {
    Done(T),
    /// Another writer changed what this attempt read: read again.
    Conflict,
}

/// Runs `attempt` until it is done, fails, or has lost [`CONFLICT_RETRIES`] races.
pub async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, AppError>>,
{
    for _ in 0..CONFLICT_RETRIES {
        if let Attempt::Done(value) = attempt().await? {
            return Ok(value);
        }
    }
    Err(AppError::Conflict)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn a_lost_race_is_read_again_until_it_is_won() {
        let tries = Cell::new(0);
        let result = retry_on_conflict(|| async {
            tries.set(tries.get() + 1);
            Ok(if tries.get() < 3 {
                Attempt::Conflict
            } else {
                Attempt::Done("written")
            })
        })
        .await;
        assert_eq!(result.unwrap(), "written");
        assert_eq!(tries.get(), 3);
    }

    #[tokio::test]
    async fn a_request_that_keeps_losing_is_told_to_retry() {
        let tries = Cell::new(0);
        let result: Result<(), _> = retry_on_conflict(|| async {
            tries.set(tries.get() + 1);
            Ok(Attempt::Conflict)
        })
        .await;
        assert!(matches!(result, Err(AppError::Conflict)));
        assert_eq!(tries.get(), CONFLICT_RETRIES);
    }

    #[tokio::test]
    async fn a_failure_ends_the_attempts_at_once() {
        let tries = Cell::new(0);
        let result: Result<(), _> = retry_on_conflict(|| async {
            tries.set(tries.get() + 1);
            Err(AppError::NotFound { what: "order" })
        })
        .await;
        assert!(matches!(result, Err(AppError::NotFound { .. })));
        assert_eq!(tries.get(), 1);
    }
}

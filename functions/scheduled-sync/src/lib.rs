//! Jobs that EventBridge schedules start. Each schedule passes `{"job": "<name>", ...}`.
//!
//! Today: `outbox-sweep`, which sends the order events a failure left in the outbox.

pub mod config;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::StoreError;

/// Events read per round of the sweep.
const SWEEP_BATCH: usize = 100;
/// Rounds per run, so one run stays well inside the function's timeout.
const SWEEP_ROUNDS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Job {
    OutboxSweep,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub sent: usize,
    pub failed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the schedule's input is not a known job: {0}")]
    UnknownJob(#[from] serde_json::Error),
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// Retried by the next run: the events stay in the outbox.
    #[error("{failed} events could not be sent this time ({sent} were)")]
    QueueUnavailable { sent: usize, failed: usize },
}

pub struct Scheduler {
    relay: Arc<OutboxRelay>,
}

impl Scheduler {
    pub fn new(relay: Arc<OutboxRelay>) -> Self {
        Scheduler { relay }
    }

    pub async fn run(&self, job: &Job) -> Result<SweepSummary, JobError> {
        match job {
            Job::OutboxSweep => self.sweep().await,
        }
    }

    /// Sends unsent events in rounds until none are left, a send fails, or the rounds run out.
    async fn sweep(&self) -> Result<SweepSummary, JobError> {
        let mut summary = SweepSummary::default();
        for _ in 0..SWEEP_ROUNDS {
            let report = self.relay.sweep(SWEEP_BATCH).await?;
            summary.sent += report.sent;
            summary.failed += report.failed;
            if report.failed > 0 || report.sent < SWEEP_BATCH {
                break;
            }
        }
        if summary.failed > 0 {
            return Err(JobError::QueueUnavailable {
                sent: summary.sent,
                failed: summary.failed,
            });
        }
        Ok(summary)
    }
}

/// The Lambda handler: the schedule's input names the job.
pub async fn function_handler(
    scheduler: &Scheduler,
    event: LambdaEvent<serde_json::Value>,
) -> Result<SweepSummary, JobError> {
    let job: Job = serde_json::from_value(event.payload)?;
    let summary = scheduler.run(&job).await?;
    tracing::info!(job = ?job, sent = summary.sent, "scheduled job done");
    Ok(summary)
}

impl From<JobError> for lambda_runtime::Diagnostic {
    fn from(e: JobError) -> Self {
        let error_type = match &e {
            JobError::UnknownJob(_) => "UnknownJob",
            JobError::Store(_) => "StoreUnavailable",
            JobError::QueueUnavailable { .. } => "QueueUnavailable",
        };
        tracing::error!(error = ?e, "scheduled job failed");
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}

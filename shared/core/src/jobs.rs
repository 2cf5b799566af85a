//! The scheduled jobs by name, an operator's request to run one now, and the log of their
//! runs that operators read.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;

/// A job the scheduled-sync function runs; the schedule's input names it (`{"job": ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    OutboxSweep,
    NightlyResync,
    DailyReport,
    PaymentReconciliation,
    AbandonedCarts,
    /// Paid orders on their way: authorised payments captured, orders allocated to
    /// locations, fulfilment orders sent to the provider.
    Fulfilment,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Job::OutboxSweep,
        Job::NightlyResync,
        Job::DailyReport,
        Job::PaymentReconciliation,
        Job::AbandonedCarts,
        Job::Fulfilment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::OutboxSweep => "outbox-sweep",
            Job::NightlyResync => "nightly-resync",
            Job::DailyReport => "daily-report",
            Job::PaymentReconciliation => "payment-reconciliation",
            Job::AbandonedCarts => "abandoned-carts",
            Job::Fulfilment => "fulfilment",
        }
    }

    pub fn parse(raw: &str) -> Result<Job, InvalidValue> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Job::ALL.iter().map(|j| j.as_str()).collect();
                InvalidValue::new("job", format!("must be one of {}", names.join(", ")))
            })
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What started a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    /// An operator's "run now", by who asked.
    Operator {
        subject: String,
        request_id: String,
    },
}

/// An operator's "run now": the job-requests queue carries it to the scheduled-sync
/// function, which runs it as the schedule would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub job: Job,
    pub request_id: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl JobRequest {
    /// The FIFO group of every request: one job at a time from operators.
    pub const GROUP: &'static str = "job-requests";

    pub fn trigger(&self) -> Trigger {
        Trigger::Operator {
            subject: self.requested_by.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// One run of a job, as operators see it in the last runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRun {
    pub id: String,
    pub job: Job,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The run's one-line summary (counts, API calls) when it ended well.
    pub summary: Option<serde_json::Value>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl JobRun {
    /// Its place in the log: newest last.
    pub fn position(&self) -> String {
        crate::listing::position(self.started_at, &self.id)
    }
}

/// How long a run stays in the log.
pub const JOB_RUN_MEMORY_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_named_as_its_schedule_names_it() {
        for job in Job::ALL {
            assert_eq!(Job::parse(job.as_str()).unwrap(), job);
            let json = serde_json::to_value(job).unwrap();
            assert_eq!(json, job.as_str());
        }
        let err = Job::parse("make-coffee").unwrap_err();
        assert!(err.message.contains("abandoned-carts"), "{}", err.message);
    }
}

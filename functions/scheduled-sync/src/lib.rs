//! Jobs that EventBridge schedules start. Each schedule passes `{"job": "<name>"}`:
//!
//! - `outbox-sweep` sends the order events a failure left in the outbox, and tries again the
//!   customers' mails the mail service did not take;
//! - `nightly-resync` syncs again, in bulk, every order and customer whose sync is pending or
//!   failed (the first run over an existing store is the day-zero load);
//! - `daily-report` mails the managers the report of the day before (UTC);
//! - `payment-reconciliation` checks orders left awaiting payment with the gateway;
//! - `abandoned-carts` tells sales of carts left at checkout (Opportunities and Leads);
//! - `fulfilment` moves paid orders on: authorised payments captured, paid orders split into
//!   fulfilment orders per location, those sent to the fulfilment provider.
//!
//! Each run stops before the function's timeout and the next one goes on from what is left.

pub mod config;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use storesync_core::after_sales::{RefundRun, Refunds};
use storesync_core::approvals::salesforce::{ApprovalRun, ApprovalSync};
use storesync_core::fulfilment::process::{Fulfilment, FulfilmentRun};
use storesync_core::jobs::{JobRequest, JobRun, Trigger};
use storesync_core::notifications::notifier::{Notifier, RetrySummary};
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::capture::{CaptureSummary, FundsCapture};
use storesync_core::payments::reconcile::{ReconcileError, ReconcileSummary, Reconciliation};
use storesync_core::ports::{JobLog, StoreError};
use storesync_core::report::{DailyReport, ReportError, Reporting};
use storesync_core::sync::abandoned::{AbandonedCarts, AbandonedSummary};
use storesync_core::sync::consumer::SyncError;
use storesync_core::sync::resync::{Resync, ResyncSummary};

/// Events read per round of the sweep.
const SWEEP_BATCH: usize = 100;
/// Rounds per run, so one run stays well inside the function's timeout.
const SWEEP_ROUNDS: usize = 20;

pub use storesync_core::jobs::Job;

/// A schedule's input: the job's name and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleInput {
    job: Job,
}

/// The job-requests queue's delivery: operators' "run now" requests, one per message.
#[derive(Debug, Deserialize)]
struct QueueDelivery {
    #[serde(rename = "Records")]
    records: Vec<QueueRecord>,
}

#[derive(Debug, Deserialize)]
struct QueueRecord {
    body: String,
}

/// The jobs an invocation runs and what started each: a schedule names one job; the
/// job-requests queue delivers operators' requests. Anything else is refused.
pub fn work_from_input(input: serde_json::Value) -> Result<Vec<(Job, Trigger)>, serde_json::Error> {
    if input.get("Records").is_some() {
        let delivery: QueueDelivery = serde_json::from_value(input)?;
        return delivery
            .records
            .iter()
            .map(|r| {
                let request: JobRequest = serde_json::from_str(&r.body)?;
                Ok((request.job, request.trigger()))
            })
            .collect();
    }
    let input: ScheduleInput = serde_json::from_value(input)?;
    Ok(vec![(input.job, Trigger::Schedule)])
}

/// What a job did: its one-line summary, and the function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum JobSummary {
    Sweep(SweepSummary),
    Resync {
        #[serde(flatten)]
        summary: ResyncSummary,
        salesforce_calls: u64,
    },
    Report(Box<DailyReport>),
    Reconcile(ReconcileSummary),
    Fulfilment(FulfilmentSummary),
    AbandonedCarts {
        #[serde(flatten)]
        summary: AbandonedSummary,
        salesforce_calls: u64,
    },
}

/// What a fulfilment run did, step by step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FulfilmentSummary {
    /// Discounts and refunds held for a manager, in step with Salesforce's approval requests
    /// (none without Salesforce).
    pub approvals: Option<ApprovalRun>,
    /// Authorised payments captured before anything ships (none without a gateway).
    pub capture: Option<CaptureSummary>,
    /// Paid orders started and fulfilment orders sent to the provider.
    pub orders: FulfilmentRun,
    /// Credit memos refunded through the gateway (none without a gateway).
    pub refunds: Option<RefundRun>,
}

impl JobSummary {
    /// A sweep that sent nothing, or a fulfilment run that found nothing to do.
    pub fn is_idle(&self) -> bool {
        match self {
            JobSummary::Sweep(s) => {
                s.sent == 0 && s.failed == 0 && s.mails.is_none_or(|m| m == RetrySummary::default())
            }
            JobSummary::Fulfilment(f) => {
                f.orders == FulfilmentRun::default()
                    && f.capture
                        .as_ref()
                        .is_none_or(|c| *c == CaptureSummary::default())
                    && f.refunds
                        .as_ref()
                        .is_none_or(|r| *r == RefundRun::default())
                    && f.approvals.as_ref().is_none_or(ApprovalRun::is_idle)
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub sent: usize,
    pub failed: usize,
    /// The customers' mails tried again (with customer mail configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mails: Option<RetrySummary>,
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
    #[error("the re-sync needs Salesforce, and no credentials are configured")]
    NoSalesforce,
    #[error("the sync stopped")]
    Resync(#[from] SyncError),
    #[error("the report could not be made")]
    Report(#[from] ReportError),
    #[error("no mailbox is configured for the report")]
    NoReporting,
    #[error("the job needs the payment gateway, and no Stripe key is configured")]
    NoGateway,
    #[error("the fulfilment job is not configured")]
    NoFulfilment,
    #[error("the refunds or approvals stopped")]
    Refunds(#[from] storesync_core::AppError),
    #[error("the reconciliation stopped")]
    Reconcile(#[from] ReconcileError),
}

/// The Salesforce API calls made so far, read before and after a job.
pub type CallMeter = Arc<dyn Fn() -> u64 + Send + Sync>;

pub struct Scheduler {
    relay: Arc<OutboxRelay>,
    log: Option<Arc<dyn JobLog>>,
    resync: Option<(Arc<Resync>, CallMeter)>,
    abandoned_carts: Option<(Arc<AbandonedCarts>, chrono::Duration)>,
    reporting: Option<Arc<Reporting>>,
    reconciliation: Option<(Arc<Reconciliation>, chrono::Duration)>,
    capture: Option<Arc<FundsCapture>>,
    fulfilment: Option<Arc<Fulfilment>>,
    refunds: Option<Arc<Refunds>>,
    approvals: Option<Arc<ApprovalSync>>,
    notifier: Option<Arc<Notifier>>,
}

impl Scheduler {
    pub fn new(relay: Arc<OutboxRelay>) -> Self {
        Scheduler {
            relay,
            log: None,
            resync: None,
            abandoned_carts: None,
            reporting: None,
            reconciliation: None,
            capture: None,
            fulfilment: None,
            refunds: None,
            approvals: None,
            notifier: None,
        }
    }

    /// Enables the outbox sweep's retries of customers' mails.
    pub fn with_notifier(mut self, notifier: Arc<Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Enables the payment reconciliation of orders awaiting payment longer than `idle`.
    pub fn with_reconciliation(
        mut self,
        reconciliation: Arc<Reconciliation>,
        idle: chrono::Duration,
    ) -> Self {
        self.reconciliation = Some((reconciliation, idle));
        self
    }

    /// Enables the abandoned-carts job, for carts idle at checkout longer than `idle`
    /// (with [`Scheduler::with_resync`], whose Salesforce calls it counts).
    pub fn with_abandoned_carts(
        mut self,
        carts: Arc<AbandonedCarts>,
        idle: chrono::Duration,
    ) -> Self {
        self.abandoned_carts = Some((carts, idle));
        self
    }

    /// Keeps each run in `log`, for operators.
    pub fn with_log(mut self, log: Arc<dyn JobLog>) -> Self {
        self.log = Some(log);
        self
    }

    /// Runs `job` as [`Scheduler::run`] does, and keeps the run in the log. A log that cannot
    /// be written costs the run nothing: it is said in the function's log.
    pub async fn run_logged(
        &self,
        job: Job,
        trigger: Trigger,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<JobSummary, JobError> {
        let started_at = chrono::Utc::now();
        let result = self.run(&job, time_left).await;
        // A frequent job's scheduled run that found nothing to do is the usual minute: not worth
        // a line in the log.
        let idle = trigger == Trigger::Schedule && result.as_ref().is_ok_and(JobSummary::is_idle);
        if let Some(log) = self.log.as_ref().filter(|_| !idle) {
            let run = JobRun {
                id: uuid::Uuid::new_v4().simple().to_string(),
                job,
                trigger,
                started_at,
                finished_at: chrono::Utc::now(),
                summary: result
                    .as_ref()
                    .ok()
                    .and_then(|s| serde_json::to_value(s).ok()),
                error: result.as_ref().err().map(|e| e.to_string()),
            };
            if let Err(error) = log.record_run(&run).await {
                tracing::warn!(%error, %job, "the run was not logged");
            }
        }
        result
    }

    /// Enables the fulfilment job: paid orders to fulfilment orders, sent to the provider.
    pub fn with_fulfilment(mut self, fulfilment: Arc<Fulfilment>) -> Self {
        self.fulfilment = Some(fulfilment);
        self
    }

    /// Enables the fulfilment job's refunds of credit memos.
    pub fn with_refunds(mut self, refunds: Arc<Refunds>) -> Self {
        self.refunds = Some(refunds);
        self
    }

    /// Enables the fulfilment job's first step: approval requests submitted to Salesforce,
    /// and the decisions made there applied.
    pub fn with_approvals(mut self, approvals: Arc<ApprovalSync>) -> Self {
        self.approvals = Some(approvals);
        self
    }

    /// Enables the fulfilment job's capture of authorised payments.
    pub fn with_capture(mut self, capture: Arc<FundsCapture>) -> Self {
        self.capture = Some(capture);
        self
    }

    /// Enables the daily report.
    pub fn with_reporting(mut self, reporting: Arc<Reporting>) -> Self {
        self.reporting = Some(reporting);
        self
    }

    /// Enables the jobs that write to Salesforce.
    pub fn with_resync(mut self, resync: Arc<Resync>, calls: CallMeter) -> Self {
        self.resync = Some((resync, calls));
        self
    }

    /// Runs `job` while `time_left` says so.
    pub async fn run(
        &self,
        job: &Job,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<JobSummary, JobError> {
        match job {
            Job::OutboxSweep => self.sweep().await.map(JobSummary::Sweep),
            Job::NightlyResync => {
                let (resync, calls) = self.resync.as_ref().ok_or(JobError::NoSalesforce)?;
                let before = calls();
                let summary = resync.run(time_left).await?;
                Ok(JobSummary::Resync {
                    summary,
                    salesforce_calls: calls() - before,
                })
            }
            Job::AbandonedCarts => {
                let (carts, idle) = self
                    .abandoned_carts
                    .as_ref()
                    .ok_or(JobError::NoSalesforce)?;
                let calls = self.resync.as_ref().map(|(_, calls)| calls.clone());
                let before = calls.as_ref().map_or(0, |c| c());
                let summary = carts.run(*idle, time_left).await?;
                Ok(JobSummary::AbandonedCarts {
                    summary,
                    salesforce_calls: calls.map_or(0, |c| c() - before),
                })
            }
            Job::DailyReport => {
                let reporting = self.reporting.as_ref().ok_or(JobError::NoReporting)?;
                let now = chrono::Utc::now();
                let yesterday = (now - chrono::Duration::days(1)).date_naive();
                let report = reporting.send_daily(yesterday, now).await?;
                Ok(JobSummary::Report(Box::new(report)))
            }
            Job::Fulfilment => {
                let fulfilment = self.fulfilment.as_ref().ok_or(JobError::NoFulfilment)?;
                let approvals = match &self.approvals {
                    Some(approvals) => Some(approvals.run(time_left).await?),
                    None => None,
                };
                let capture = match &self.capture {
                    Some(capture) => Some(capture.run(time_left).await?),
                    None => None,
                };
                let orders = fulfilment.run(time_left).await?;
                let refunds = match &self.refunds {
                    Some(refunds) => Some(refunds.run(time_left).await?),
                    None => None,
                };
                Ok(JobSummary::Fulfilment(FulfilmentSummary {
                    approvals,
                    capture,
                    orders,
                    refunds,
                }))
            }
            Job::PaymentReconciliation => {
                let (reconciliation, idle) =
                    self.reconciliation.as_ref().ok_or(JobError::NoGateway)?;
                let summary = reconciliation.run(*idle, time_left).await?;
                Ok(JobSummary::Reconcile(summary))
            }
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
        if let Some(notifier) = &self.notifier {
            summary.mails = Some(notifier.retry_pending().await?);
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

/// Time kept back from the function's timeout: a run stops this long before it.
const STOP_BEFORE_TIMEOUT_MS: u64 = 15_000;

/// The Lambda handler: the schedule's input names the job, or the job-requests queue
/// delivers operators' requests (one per delivery, as the template configures it). A failed
/// request is delivered again, then parked in the queue's dead-letter queue.
pub async fn function_handler(
    scheduler: &Scheduler,
    event: LambdaEvent<serde_json::Value>,
) -> Result<Vec<JobSummary>, JobError> {
    let work = work_from_input(event.payload)?;
    let deadline = event.context.deadline;
    let time_left = move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        now + STOP_BEFORE_TIMEOUT_MS < deadline
    };
    let mut summaries = Vec::with_capacity(work.len());
    for (job, trigger) in work {
        let summary = scheduler.run_logged(job, trigger, &time_left).await?;
        let line = serde_json::to_string(&summary).unwrap_or_default();
        tracing::info!(%job, summary = %line, "scheduled job done");
        summaries.push(summary);
    }
    Ok(summaries)
}

impl From<JobError> for lambda_runtime::Diagnostic {
    fn from(e: JobError) -> Self {
        let error_type = match &e {
            JobError::UnknownJob(_) => "UnknownJob",
            JobError::Store(_) => "StoreUnavailable",
            JobError::QueueUnavailable { .. } => "QueueUnavailable",
            JobError::NoSalesforce => "NoSalesforce",
            JobError::Resync(_) => "ResyncStopped",
            JobError::Report(_) => "ReportFailed",
            JobError::NoReporting => "NoReporting",
            JobError::NoGateway => "NoGateway",
            JobError::NoFulfilment => "NoFulfilment",
            JobError::Refunds(_) => "RefundsStopped",
            JobError::Reconcile(_) => "ReconcileStopped",
        };
        tracing::error!(error = ?e, "scheduled job failed");
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_schedule_input_names_a_job() {
        let samples = [
            (
                include_str!("../../../events/scheduled-sync-outbox-sweep.json"),
                Job::OutboxSweep,
            ),
            (
                include_str!("../../../events/scheduled-sync-nightly-resync.json"),
                Job::NightlyResync,
            ),
            (
                include_str!("../../../events/scheduled-sync-daily-report.json"),
                Job::DailyReport,
            ),
            (
                include_str!("../../../events/scheduled-sync-payment-reconciliation.json"),
                Job::PaymentReconciliation,
            ),
            (
                include_str!("../../../events/scheduled-sync-abandoned-carts.json"),
                Job::AbandonedCarts,
            ),
            (
                include_str!("../../../events/scheduled-sync-fulfilment.json"),
                Job::Fulfilment,
            ),
        ];
        for (sample, job) in samples {
            assert_eq!(
                work_from_input(serde_json::from_str(sample).unwrap()).unwrap(),
                vec![(job, Trigger::Schedule)]
            );
        }
        let extra = serde_json::json!({"job": "nightly-resync", "x": 1});
        assert!(
            work_from_input(extra).is_err(),
            "an unknown field is refused"
        );
        assert!(work_from_input(serde_json::json!({"job": "make-coffee"})).is_err());
    }

    #[test]
    fn an_operators_request_arrives_from_the_job_requests_queue() {
        let delivery: serde_json::Value = serde_json::from_str(include_str!(
            "../../../events/scheduled-sync-job-request.json"
        ))
        .unwrap();
        let work = work_from_input(delivery).unwrap();
        assert_eq!(work.len(), 1);
        assert_eq!(work[0].0, Job::AbandonedCarts);
        assert!(
            matches!(&work[0].1, Trigger::Operator { subject, .. } if subject == "ops-1"),
            "{work:?}"
        );
        let unknown = serde_json::json!({"Records": [{"body": "{\"job\": \"make-coffee\"}"}]});
        assert!(work_from_input(unknown).is_err());
    }
}

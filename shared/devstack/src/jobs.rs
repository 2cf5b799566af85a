//! The local scheduler: each job on its own interval, as EventBridge fires them in AWS, and
//! operators' "run now" requests taken from the local job-requests queue, as the queue's event
//! source delivers them to the scheduled-sync function. Every run goes through the same
//! [`Scheduler::run_logged`] as the Lambda's, so it shows in the admin API's last runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scheduled_sync::{Job, Scheduler};
use storesync_core::jobs::{JobRequest, Trigger};
use storesync_core::queue::EventQueue;
use tokio::task::JoinHandle;

/// How long one local run may take, as the Lambda's timeout bounds it.
pub const JOB_TIME: Duration = Duration::from_secs(50);
/// How long the request loop waits when no request came.
const IDLE: Duration = Duration::from_millis(200);

/// Starts every job of `schedule` on its interval (the first run at once) and the loop that
/// runs operators' requests from `requests`. The tasks end when the runtime does, or when
/// their handles are aborted.
pub fn spawn(
    scheduler: Arc<Scheduler>,
    schedule: &[(Job, Duration)],
    requests: Arc<dyn EventQueue>,
) -> Vec<JoinHandle<()>> {
    let mut tasks: Vec<JoinHandle<()>> = schedule
        .iter()
        .map(|&(job, every)| {
            let scheduler = scheduler.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    run(&scheduler, job, Trigger::Schedule).await;
                }
            })
        })
        .collect();
    tasks.push(tokio::spawn(async move {
        loop {
            let received = match requests.receive(1).await {
                Ok(received) => received,
                Err(error) => {
                    tracing::warn!(%error, "job requests");
                    Vec::new()
                }
            };
            if received.is_empty() {
                tokio::time::sleep(IDLE).await;
            }
            for message in received {
                match serde_json::from_str::<JobRequest>(&message.message.body) {
                    Ok(request) => run(&scheduler, request.job, request.trigger()).await,
                    Err(error) => tracing::warn!(%error, "not a job request"),
                }
                if let Err(error) = requests.delete(&message.receipt).await {
                    tracing::warn!(%error, "job request not deleted");
                }
            }
        }
    }));
    tasks
}

/// Runs one job as the Lambda would, within [`JOB_TIME`], and says how it went.
async fn run(scheduler: &Scheduler, job: Job, trigger: Trigger) {
    let until = Instant::now() + JOB_TIME;
    match scheduler
        .run_logged(job, trigger, &|| Instant::now() < until)
        .await
    {
        Ok(summary) => {
            let line = serde_json::to_string(&summary).unwrap_or_default();
            tracing::debug!(%job, summary = %line, "scheduled job done");
        }
        Err(error) => tracing::warn!(%job, %error, "scheduled job failed"),
    }
}

//! The jobs' last runs as a table (which job, what started it, when, for how long, and how it
//! ended), and a "Run now" button per job, which the console's script sends to
//! `POST /v1/admin/jobs/{job}` before it reads the runs again.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use storesync_core::jobs::{Job, JobRun, Trigger};

use super::html::{Html, escape, markup};

/// Runs the console shows.
pub const RUNS_SHOWN: usize = 20;

/// Most figures a run's summary shows in the table; the whole summary is its hover text.
const SUMMARY_FIGURES: usize = 6;

/// The jobs' section: a "Run now" button per job, where the outcome of a request is said,
/// and the last runs.
pub fn panel(runs: &[JobRun]) -> Html {
    let mut out = Html::default();
    markup!(out, r#"<ul class="run-now" aria-label="Run a job now">"#);
    for job in Job::ALL {
        let job = job.as_str();
        markup!(
            out,
            r#"<li><span class="job">{job}</span> <button type="button" data-action="run-job" data-job="{job}" aria-label="Run {job} now">Run now</button></li>"#
        );
    }
    markup!(
        out,
        r#"</ul><span id="jobs-status" role="status" aria-live="polite"></span><div id="jobs-problem" class="problem" role="alert" hidden></div>"#
    );
    out.append(&self::runs(runs));
    out
}

/// The last runs, newest first, or a line saying there are none.
pub fn runs(runs: &[JobRun]) -> Html {
    let mut out = Html::default();
    markup!(out, r#"<div id="job-runs">"#);
    if runs.is_empty() {
        markup!(out, r#"<p class="empty">No runs recorded.</p></div>"#);
        return out;
    }
    markup!(
        out,
        r#"<table class="grid"><caption>The last {} runs, newest first</caption><thead><tr><th>Job</th><th>Started by</th><th>Started</th><th>Took</th><th>Outcome</th></tr></thead><tbody>"#,
        runs.len()
    );
    for run in runs {
        out.append(&row(run));
    }
    markup!(out, "</tbody></table></div>");
    out
}

fn row(run: &JobRun) -> Html {
    let mut out = Html::default();
    let (trigger, request, started_by) = match &run.trigger {
        Trigger::Schedule => ("schedule", "", "schedule".to_owned()),
        Trigger::Operator {
            subject,
            request_id,
        } => (
            "operator",
            request_id.as_str(),
            format!("{subject} (run now)"),
        ),
    };
    markup!(
        out,
        r#"<tr data-job="{}" data-trigger="{trigger}" data-request="{}"><td>{}</td><td class="started-by">{}</td><td>{}</td><td class="num">{}</td><td class="outcome">{}</td></tr>"#,
        run.job.as_str(),
        escape(request),
        run.job.as_str(),
        escape(&started_by),
        started(run.started_at).as_str(),
        took(run.finished_at - run.started_at),
        outcome(run).as_str(),
    );
    out
}

fn started(at: DateTime<Utc>) -> Html {
    let mut out = Html::default();
    markup!(
        out,
        r#"<time datetime="{}">{}</time>"#,
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    out
}

/// A run's length as a person reads it: `350 ms`, `4.2 s`, `3 min 7 s`.
fn took(length: TimeDelta) -> String {
    let ms = length.num_milliseconds().max(0);
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// The error in red, or the summary's figures with the whole summary on hover.
fn outcome(run: &JobRun) -> Html {
    let mut out = Html::default();
    match (&run.error, &run.summary) {
        (Some(error), _) => markup!(out, r#"<span class="run-failed">{}</span>"#, escape(error)),
        (None, Some(summary)) => markup!(
            out,
            r#"<span class="run-summary" title="{}">{}</span>"#,
            escape(&summary.to_string()),
            escape(&summary_text(summary))
        ),
        (None, None) => markup!(out, r#"<span class="none">done</span>"#),
    }
    out
}

/// A summary's figures, each named by where it stands: `carts synced 1 · salesforce calls 4`.
fn summary_text(summary: &Value) -> String {
    let mut figures = Vec::new();
    figures_of("", summary, &mut figures);
    if figures.len() > SUMMARY_FIGURES {
        figures.truncate(SUMMARY_FIGURES);
        figures.push("…".to_owned());
    }
    figures.join(" · ")
}

fn figures_of(name: &str, value: &Value, figures: &mut Vec<String>) {
    let named = |figure: &str| {
        if name.is_empty() {
            figure.to_owned()
        } else {
            format!("{name} {figure}")
        }
    };
    match value {
        Value::Null => {}
        Value::Object(fields) => {
            for (field, value) in fields {
                figures_of(&named(&field.replace('_', " ")), value, figures);
            }
        }
        Value::Array(items) => figures.push(named(&items.len().to_string())),
        Value::String(text) => figures.push(named(text)),
        other => figures.push(named(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(trigger: Trigger, summary: Option<Value>, error: Option<&str>) -> JobRun {
        let started_at = Utc::now();
        JobRun {
            id: "r1".into(),
            job: Job::OutboxSweep,
            trigger,
            started_at,
            finished_at: started_at + TimeDelta::milliseconds(1_250),
            summary,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn an_operators_run_names_them_and_its_request_and_tells_its_figures() {
        let table = runs(&[run(
            Trigger::Operator {
                subject: "<ops-1>".into(),
                request_id: "req-1".into(),
            },
            Some(json!({"sent": 3, "failed": 0})),
            None,
        )]);
        let table = table.as_str();
        assert!(
            table.contains(
                r#"<tr data-job="outbox-sweep" data-trigger="operator" data-request="req-1">"#
            ),
            "{table}"
        );
        assert!(
            table.contains(r#"<td class="started-by">&lt;ops-1&gt; (run now)</td>"#),
            "{table}"
        );
        assert!(table.contains(r#"<td class="num">1.2 s</td>"#), "{table}");
        assert!(
            table.contains(
                r#"title="{&quot;failed&quot;:0,&quot;sent&quot;:3}">failed 0 · sent 3</span>"#
            ),
            "{table}"
        );
    }

    #[test]
    fn a_failed_scheduled_run_shows_its_error_in_red_escaped() {
        let table = runs(&[run(
            Trigger::Schedule,
            None,
            Some("the store failed <script>"),
        )]);
        assert!(table.as_str().contains(r#"data-trigger="schedule""#));
        assert!(
            table
                .as_str()
                .contains(r#"<span class="run-failed">the store failed &lt;script&gt;</span>"#)
        );
        assert!(!table.as_str().contains("<script>"));
    }

    #[test]
    fn without_runs_the_table_says_so_and_every_job_can_be_run_now() {
        let panel = panel(&[]);
        assert!(panel.as_str().contains("No runs recorded."));
        for job in Job::ALL {
            assert!(panel.as_str().contains(&format!(
                r#"data-action="run-job" data-job="{}""#,
                job.as_str()
            )));
        }
    }

    #[test]
    fn a_nested_summary_is_named_by_its_place_and_cut_short() {
        let summary = json!({
            "carts_synced": 1,
            "salesforce_calls": 4,
            "stock": {"low": ["MUG-WHT", "HOODIE"], "note": "ok", "missing": null},
            "a": 1, "b": 2, "c": 3, "d": true,
        });
        assert_eq!(
            summary_text(&summary),
            "a 1 · b 2 · c 3 · carts synced 1 · d true · salesforce calls 4 · …"
        );
        assert_eq!(
            summary_text(&json!({"stock": {"low": ["x", "y"], "note": "ok"}})),
            "stock low 2 · stock note ok"
        );
    }

    #[test]
    fn a_runs_length_reads_as_a_person_would_say_it() {
        assert_eq!(took(TimeDelta::milliseconds(350)), "350 ms");
        assert_eq!(took(TimeDelta::milliseconds(4_240)), "4.2 s");
        assert_eq!(took(TimeDelta::milliseconds(187_000)), "3 min 7 s");
        assert_eq!(took(TimeDelta::milliseconds(-5)), "0 ms", "clocks apart");
    }
}

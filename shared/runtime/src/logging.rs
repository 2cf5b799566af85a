//! Structured logs: JSON in Lambda (CloudWatch), readable text locally.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber. `RUST_LOG` filters by level and target (`info`,
/// `warn,storesync_salesforce=debug`); an unreadable value falls back to `info`.
pub fn init() {
    // Targets rather than EnvFilter: the same directives without a regex engine in every binary.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new().with_default(tracing_subscriber::filter::LevelFilter::INFO)
        });
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let registry = tracing_subscriber::registry().with(filter);
    let result = if in_lambda {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_ansi(false)
                    .without_time()
                    .with_target(false),
            )
            .try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
    // A second init (tests, the dev stack) keeps the first subscriber.
    drop(result);
}

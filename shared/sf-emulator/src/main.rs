//! `sf-emulator`: serves the Salesforce emulator on 127.0.0.1 (`SF_EMULATOR_PORT`, default 4000).

use std::net::SocketAddr;

use storesync_sf_emulator::{Emulator, EmulatorConfig, INTEGRATION_USERNAME};

#[derive(Debug)]
struct Config {
    port: u16,
    jwt_public_key_pem: Option<String>,
    query_batch_size: Option<usize>,
    daily_api_limit: Option<u64>,
    multi_currency: Option<bool>,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let parse = |name: &str| -> Result<Option<String>, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v)),
                Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
                Err(e) => Err(format!("{name}: {e}")),
            }
        };
        let port = match parse("SF_EMULATOR_PORT")? {
            Some(p) => p.parse().map_err(|e| format!("SF_EMULATOR_PORT: {e}"))?,
            None => 4000,
        };
        let jwt_public_key_pem = match parse("SF_EMULATOR_JWT_PUBLIC_KEY_FILE")? {
            Some(path) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("SF_EMULATOR_JWT_PUBLIC_KEY_FILE {path}: {e}"))?,
            ),
            None => None,
        };
        let query_batch_size = parse("SF_EMULATOR_QUERY_BATCH_SIZE")?
            .map(|v| {
                v.parse()
                    .map_err(|e| format!("SF_EMULATOR_QUERY_BATCH_SIZE: {e}"))
            })
            .transpose()?;
        let daily_api_limit = parse("SF_EMULATOR_DAILY_API_LIMIT")?
            .map(|v| {
                v.parse()
                    .map_err(|e| format!("SF_EMULATOR_DAILY_API_LIMIT: {e}"))
            })
            .transpose()?;
        let multi_currency = parse("SF_EMULATOR_MULTI_CURRENCY")?
            .map(|v| {
                v.parse()
                    .map_err(|e| format!("SF_EMULATOR_MULTI_CURRENCY (true or false): {e}"))
            })
            .transpose()?;
        Ok(Self {
            port,
            jwt_public_key_pem,
            query_batch_size,
            daily_api_limit,
            multi_currency,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::ERROR));
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer())
        .init();
    let config = Config::from_env()?;
    let mut emulator_config = EmulatorConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], config.port)),
        ..EmulatorConfig::default()
    };
    if let Some(pem) = &config.jwt_public_key_pem {
        emulator_config = emulator_config.with_jwt_public_key_pem(pem)?;
    }
    if let Some(size) = config.query_batch_size {
        emulator_config.query_batch_size = size;
    }
    if let Some(limit) = config.daily_api_limit {
        emulator_config.daily_api_limit = limit;
    }
    if let Some(multi_currency) = config.multi_currency {
        emulator_config.multi_currency = multi_currency;
    }
    let currencies = emulator_config.multi_currency.then(|| {
        (
            emulator_config.corporate_currency.clone(),
            emulator_config.active_currencies.clone(),
        )
    });
    let emulator = Emulator::start_with(emulator_config).await?;
    println!("Salesforce emulator listening on {}", emulator.base_url());
    println!("  login URL:      {}", emulator.base_url());
    println!(
        "  token endpoint: {}/services/oauth2/token",
        emulator.base_url()
    );
    println!("  client id:      {}", emulator.client_id());
    println!("  client secret:  {}", emulator.client_secret());
    println!("  JWT username:   {INTEGRATION_USERNAME}");
    match &currencies {
        Some((corporate, active)) => {
            println!(
                "  currencies:     {} (corporate {corporate})",
                active.join(", ")
            )
        }
        None => println!("  currencies:     single-currency org"),
    }
    tokio::signal::ctrl_c().await?;
    drop(emulator);
    Ok(())
}

//! What a million orders cost in AWS at list prices, from the requests counted and the times
//! and memory measured in the same run; and what share of a Salesforce org's daily API limit a
//! day's orders use.

use serde::Serialize;

/// List prices, us-east-1, on-demand, before free tiers and volume discounts.
pub struct Prices;

impl Prices {
    pub const DATE: &'static str = "2026-12-01 (AWS list prices for us-east-1 as published since \
        the 2024-11-01 DynamoDB on-demand reduction; not re-read from aws.amazon.com in this run)";
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    pub const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
    pub const DYNAMODB_WRITE_UNIT: f64 = 0.625 / 1e6;
    pub const DYNAMODB_READ_UNIT: f64 = 0.125 / 1e6;
    pub const SQS_FIFO_REQUEST: f64 = 0.50 / 1e6;
    pub const SECRETS_MANAGER_CALL: f64 = 0.05 / 10_000.0;
    /// SSM standard parameters cost nothing to read; a SecureString is one KMS decrypt.
    pub const KMS_REQUEST: f64 = 0.03 / 10_000.0;
}

/// One line of the bill for a million orders.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub service: String,
    pub quantity_per_order: f64,
    pub unit: String,
    pub unit_price_usd: f64,
    pub usd_per_million_orders: f64,
}

impl Line {
    pub fn new(service: &str, quantity_per_order: f64, unit: &str, unit_price_usd: f64) -> Line {
        Line {
            service: service.to_owned(),
            quantity_per_order,
            unit: unit.to_owned(),
            unit_price_usd,
            usd_per_million_orders: quantity_per_order * unit_price_usd * 1e6,
        }
    }
}

/// A Lambda function's part of one order.
pub struct Invocations {
    pub function: &'static str,
    pub per_order: f64,
    /// Billed duration of one invocation (Lambda rounds up to the millisecond).
    pub billed_ms: f64,
    pub memory_mb: f64,
}

impl Invocations {
    pub fn gb_seconds(&self) -> f64 {
        self.per_order * self.billed_ms.ceil() / 1000.0 * self.memory_mb / 1024.0
    }
}

/// Salesforce Enterprise Edition: 100,000 calls a day plus 1,000 per user licence.
pub fn salesforce_daily_limit(licences: u64) -> u64 {
    100_000 + 1_000 * licences
}

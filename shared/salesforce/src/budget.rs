//! The org's API budget, read from `Sforce-Limit-Info` on every response.

use serde::{Deserialize, Serialize};

/// `api-usage=N/M`: requests used in the last 24 hours and the org's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUsage {
    /// Requests used in the last 24 hours.
    pub used: u64,
    /// The org's 24-hour limit.
    pub limit: u64,
}

impl ApiUsage {
    /// Parses a `Sforce-Limit-Info` value such as `api-usage=18/5000` (other entries, e.g.
    /// `per-app-api-usage=...`, are ignored).
    pub fn parse(header: &str) -> Option<Self> {
        header.split([',', ';']).find_map(|part| {
            let (name, value) = part.trim().split_once('=')?;
            if name.trim() != "api-usage" {
                return None;
            }
            let (used, limit) = value.trim().split_once('/')?;
            Some(Self {
                used: used.trim().parse().ok()?,
                limit: limit.trim().parse().ok()?,
            })
        })
    }

    /// Used share of the limit, 0.0..=1.0 (1.0 when the limit is 0).
    pub fn share(&self) -> f64 {
        if self.limit == 0 {
            1.0
        } else {
            self.used as f64 / self.limit as f64
        }
    }

    /// Requests left before the limit.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// How urgently a call must happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Live sync of what a customer just did: always sent.
    Urgent,
    /// Bulk re-sync and other catch-up work: refused past the budget share.
    Deferrable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_header_is_parsed_with_or_without_other_entries() {
        assert_eq!(
            ApiUsage::parse("api-usage=18/5000"),
            Some(ApiUsage {
                used: 18,
                limit: 5000
            })
        );
        assert_eq!(
            ApiUsage::parse("api-usage=25/15000, per-app-api-usage=17/250(appName=sample)"),
            Some(ApiUsage {
                used: 25,
                limit: 15000
            })
        );
        assert_eq!(ApiUsage::parse("per-app-api-usage=1/2"), None);
        assert_eq!(ApiUsage::parse("api-usage=x/5000"), None);
    }

    #[test]
    fn the_share_is_used_over_limit() {
        let usage = ApiUsage {
            used: 4000,
            limit: 5000,
        };
        assert!((usage.share() - 0.8).abs() < f64::EPSILON);
        assert_eq!(usage.remaining(), 1000);
    }
}

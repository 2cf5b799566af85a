//! How the stores' lists by last change sort: a record's position is its last change as
//! fixed-width text (text order is time order) then its id, which breaks ties.

use chrono::{DateTime, Utc};

/// The text every position at or after `at` sorts after, and every earlier one before.
pub fn bound(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// Where a record last changed at `at` sits in a list.
pub fn position(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", bound(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_sort_by_time_then_id_and_bounds_fall_between_times() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let early = position(at("2026-12-01T09:59:59.999Z"), "z");
        let on_time = position(at("2026-12-01T10:00:00Z"), "a");
        assert!(early < bound(at("2026-12-01T10:00:00Z")));
        assert!(bound(at("2026-12-01T10:00:00Z")) < on_time);
        assert!(on_time < position(at("2026-12-01T10:00:00Z"), "b"));
        assert_eq!(on_time, "2026-12-01T10:00:00.000000000Z#a");
    }
}

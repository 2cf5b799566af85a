//! Dates and instants as Salesforce writes them (`2026-11-22`,
//! `2026-11-22T10:00:00.000+0000`), and the days a SOQL date literal such as `TODAY` or
//! `LAST_N_DAYS:7` covers (in UTC: the emulated user's time zone).

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use crate::soql::RelativeDate;

/// The Salesforce dateTime format.
const DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f%z";

/// An instant in the Salesforce format.
pub(super) fn format_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Now, in the Salesforce format.
pub(super) fn now_datetime() -> String {
    format_datetime(Utc::now())
}

/// Today (UTC), as a date field holds it.
pub(super) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An instant written as Salesforce writes it or as ISO 8601 (`Z` or an offset).
pub(super) fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, DATETIME_FORMAT))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A date written `YYYY-MM-DD`.
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The calendar day of a stored date or dateTime value.
pub(super) fn day_of(value: &str) -> Option<NaiveDate> {
    parse_date(value).or_else(|| parse_datetime(value).map(|t| t.date_naive()))
}

/// The first and last day (inclusive) a relative date literal covers, seen from `today`.
pub(super) fn range(literal: RelativeDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    match literal {
        RelativeDate::Today => (today, today),
        RelativeDate::Yesterday => {
            let day = today - Days::new(1);
            (day, day)
        }
        RelativeDate::LastNDays(n) => (today - Days::new(u64::from(n)), today),
        RelativeDate::ThisMonth => {
            let first = today.with_day(1).unwrap_or(today);
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
            (first, next - Days::new(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn relative_literals_cover_the_days_salesforce_documents() {
        let today = day("2026-03-15");
        assert_eq!(range(RelativeDate::Today, today), (today, today));
        assert_eq!(
            range(RelativeDate::Yesterday, today),
            (day("2026-03-14"), day("2026-03-14"))
        );
        assert_eq!(
            range(RelativeDate::LastNDays(7), today),
            (day("2026-03-08"), today)
        );
        assert_eq!(
            range(RelativeDate::ThisMonth, day("2026-02-10")),
            (day("2026-02-01"), day("2026-02-28"))
        );
    }

    #[test]
    fn both_datetime_spellings_parse_to_the_same_instant() {
        assert_eq!(
            parse_datetime("2026-01-01T00:00:00Z"),
            parse_datetime("2026-01-01T00:00:00.000+0000")
        );
        assert_eq!(
            day_of("2026-01-01T23:59:59.000+0000"),
            Some(day("2026-01-01"))
        );
    }
}

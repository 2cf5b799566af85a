//! The operators' view of the sync to Salesforce: orders and customers listed by where their
//! sync stands, each with its records, and the sync settings, read and changed at run time.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app_error::AppError;
use crate::approvals::{ApprovalRequest, ApprovalStatus};
use crate::error::DomainError;
use crate::exceptions::{ExceptionStatus, ProcessException};
use crate::ids::{CartId, CrmId, CustomerKey, InvalidValue, OrderId};
use crate::jobs::{Job, JobRequest, JobRun};
use crate::notifications::{Notification, NotificationStatus};
use crate::ports::{ExceptionLog, JobLog, NotificationLog, Page, PageRequest, SyncLedger};
use crate::queue::{EventQueue, QueueMessage};
use crate::sync::resync::SyncRequest;
use crate::sync::settings::SyncSettings;
use crate::sync::status::{CartSync, CrmObject, CustomerSync, OrderSync, SyncState};

/// Items in a page when the operator does not say how many.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The most items one page holds.
pub const MAX_PAGE_SIZE: usize = 200;
/// The longest sales cycle a setting may give, as the environment's defaults allow.
pub const MAX_SALES_CYCLE_DAYS: u32 = 3650;

/// A ledger position's time, digit by digit (`9` is any digit): positions are fixed width.
const POSITION_TIME: &str = "9999-99-99T99:99:99.999999999Z";

/// One page of the orders or customers whose sync is in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub state: SyncState,
    /// `after` is a ledger position, read from the operator's cursor.
    pub page: PageRequest,
}

impl Listing {
    /// A page of orders; `after` is the `next` cursor of the page of orders before.
    pub fn orders(
        state: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        Self::parse(state, limit, after, |id| OrderId::parse(id).is_ok())
    }

    /// A page of customers; `after` is the `next` cursor of the page of customers before.
    pub fn customers(
        state: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        Self::parse(state, limit, after, |key| CustomerKey::parse(key).is_ok())
    }

    /// A page of abandoned carts; `after` is the `next` cursor of the page of carts before.
    pub fn carts(
        state: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        Self::parse(state, limit, after, |id| CartId::parse(id).is_ok())
    }

    fn parse(
        state: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
        names_a_record: fn(&str) -> bool,
    ) -> Result<Self, InvalidValue> {
        let state = match state {
            Some("pending") => SyncState::Pending,
            Some("synced") => SyncState::Synced,
            Some("failed") => SyncState::Failed,
            _ => {
                return Err(InvalidValue::new(
                    "state",
                    "must be pending, synced or failed",
                ));
            }
        };
        Ok(Listing {
            state,
            page: page_request(limit, after, names_a_record)?,
        })
    }
}

/// One page of the process exceptions in `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionListing {
    pub status: ExceptionStatus,
    pub page: PageRequest,
}

impl ExceptionListing {
    pub fn parse(
        status: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        let status = ExceptionStatus::parse(status.unwrap_or("open"))?;
        let page = page_request(limit, after, |id| {
            id.strip_prefix("exc_")
                .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        })?;
        Ok(ExceptionListing { status, page })
    }
}

/// One page of the approval requests in `status` (`pending` by default), by last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalListing {
    pub status: ApprovalStatus,
    pub page: PageRequest,
}

impl ApprovalListing {
    pub fn parse(
        status: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        let status = ApprovalStatus::parse(status.unwrap_or("pending"))?;
        let page = page_request(limit, after, ApprovalRequest::is_id)?;
        Ok(ApprovalListing { status, page })
    }
}

/// Which customers' mails an operator lists: `pending` (the default) or `failed`, by last
/// change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationListing {
    pub status: NotificationStatus,
    pub page: PageRequest,
}

impl NotificationListing {
    pub fn parse(
        status: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, InvalidValue> {
        let status = match status.unwrap_or("pending") {
            "pending" => NotificationStatus::Pending,
            "failed" => NotificationStatus::Failed,
            _ => return Err(InvalidValue::new("status", "must be pending or failed")),
        };
        let page = page_request(limit, after, Notification::is_id)?;
        Ok(NotificationListing { status, page })
    }
}

/// A page's `limit` and `after` as an operator gives them.
fn page_request(
    limit: Option<&str>,
    after: Option<&str>,
    names_a_record: fn(&str) -> bool,
) -> Result<PageRequest, InvalidValue> {
    let limit = match limit {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                InvalidValue::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            })?,
    };
    let after = after
        .map(|cursor| {
            position(cursor, names_a_record).ok_or_else(|| {
                InvalidValue::new("after", "must be the `next` cursor of an earlier page")
            })
        })
        .transpose()?;
    Ok(PageRequest { limit, after })
}

/// The ledger position an operator's cursor stands for. A cursor is the position with `~` in
/// place of its `#`, so that it travels in a URL as it is.
fn position(cursor: &str, names_a_record: fn(&str) -> bool) -> Option<String> {
    let (time, id) = cursor.split_once('~')?;
    let time_fits = time.len() == POSITION_TIME.len()
        && time
            .bytes()
            .zip(POSITION_TIME.bytes())
            .all(|(c, shape)| match shape {
                b'9' => c.is_ascii_digit(),
                _ => c == shape,
            });
    (time_fits && names_a_record(id)).then(|| format!("{time}#{id}"))
}

fn cursor(position: String) -> String {
    position.replacen('#', "~", 1)
}

fn with_cursor<T>(page: Page<T>) -> Page<T> {
    Page {
        items: page.items,
        next: page.next.map(cursor),
    }
}

/// The address people open the Salesforce org at, e.g. `https://acme.my.salesforce.com`:
/// http(s), a host (and port), nothing after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceInstance(String);

impl SalesforceInstance {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let url = raw.trim().trim_end_matches('/');
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match host {
            Some(host)
                if !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)) =>
            {
                Ok(SalesforceInstance(url.to_owned()))
            }
            _ => Err(InvalidValue::new(
                "salesforce_instance",
                "must be an http(s) URL of a host, e.g. https://acme.my.salesforce.com",
            )),
        }
    }

    /// Where a person opens the record in Lightning Experience.
    pub fn record_link(&self, object: CrmObject, id: &CrmId) -> String {
        format!("{}/lightning/r/{}/{id}/view", self.0, object.as_str())
    }
}

/// Refuses settings the sync could not work with: blank stages, roles and sources (as
/// [`SyncSettings::validate`] says), a sales cycle past ten years, and an id that cannot name
/// a record of the kind it should (Salesforce fixes each kind's three-character prefix), so
/// that a mistyped id is refused now rather than by Salesforce on every sync.
pub fn check_settings(settings: &SyncSettings) -> Result<(), DomainError> {
    let mut invalid: Vec<InvalidValue> = settings.validate().err().into_iter().collect();
    if settings.sales_cycle_days > MAX_SALES_CYCLE_DAYS {
        invalid.push(InvalidValue::new(
            "sales_cycle_days",
            format!("must be a whole number of days from 0 to {MAX_SALES_CYCLE_DAYS}"),
        ));
    }
    let ids: [(&str, &Option<String>, &[&str], &str); 4] = [
        (
            "opportunity_record_type_id",
            &settings.opportunity_record_type_id,
            &["012"],
            "a RecordType",
        ),
        (
            "default_owner_id",
            &settings.default_owner_id,
            &["005"],
            "a User",
        ),
        (
            "default_lead_owner_id",
            &settings.default_lead_owner_id,
            &["005", "00G"],
            "a User or a queue",
        ),
        (
            "standard_pricebook_id",
            &settings.standard_pricebook_id,
            &["01s"],
            "a Pricebook2",
        ),
    ];
    for (field, id, prefixes, kind) in ids {
        let Some(id) = id else { continue };
        let names_kind = CrmId::parse(id).is_ok() && prefixes.iter().any(|p| id.starts_with(p));
        if !names_kind {
            invalid.push(InvalidValue::new(
                field,
                format!(
                    "must be the 15 or 18 character id of {kind} (starting {})",
                    prefixes.join(" or ")
                ),
            ));
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(invalid))
    }
}

/// What operators do with the sync: see where records stand, read and change its settings.
pub struct SyncAdmin {
    ledger: Arc<dyn SyncLedger>,
    /// The settings in force until an operator saves their own.
    defaults: SyncSettings,
    /// Carries "sync now" requests to the function that holds the Salesforce credentials.
    queue: Option<Arc<dyn EventQueue>>,
    /// The jobs' last runs.
    job_log: Option<Arc<dyn JobLog>>,
    /// Carries "run now" requests to the scheduled jobs' function.
    job_queue: Option<Arc<dyn EventQueue>>,
    exceptions: Option<Arc<dyn ExceptionLog>>,
    notifications: Option<Arc<dyn NotificationLog>>,
}

/// Most runs one look at the log shows.
pub const MAX_JOB_RUNS: usize = 50;

impl SyncAdmin {
    pub fn new(ledger: Arc<dyn SyncLedger>, defaults: SyncSettings) -> Self {
        SyncAdmin {
            ledger,
            defaults,
            queue: None,
            job_log: None,
            job_queue: None,
            exceptions: None,
            notifications: None,
        }
    }

    /// Shows the process exceptions from `log`, and lets operators resolve them.
    pub fn with_exceptions(mut self, log: Arc<dyn ExceptionLog>) -> Self {
        self.exceptions = Some(log);
        self
    }

    /// Shows the customers' mails left pending or parked as failed.
    pub fn with_notifications(mut self, log: Arc<dyn NotificationLog>) -> Self {
        self.notifications = Some(log);
        self
    }

    /// A page of the customers' mails in `listing.status`, by last change.
    pub async fn notifications(
        &self,
        listing: &NotificationListing,
    ) -> Result<Page<Notification>, AppError> {
        let log = self.notifications.as_ref().ok_or(AppError::NotFound {
            what: "customer mails",
        })?;
        Ok(with_cursor(
            log.notifications(listing.status, &listing.page).await?,
        ))
    }

    fn exception_log(&self) -> Result<&Arc<dyn ExceptionLog>, AppError> {
        self.exceptions.as_ref().ok_or(AppError::NotFound {
            what: "process exceptions",
        })
    }

    /// A page of the process exceptions in `listing.status`, oldest raised first.
    pub async fn exceptions(
        &self,
        listing: &ExceptionListing,
    ) -> Result<Page<ProcessException>, AppError> {
        let page = self
            .exception_log()?
            .exceptions(listing.status, &listing.page)
            .await?;
        Ok(with_cursor(page))
    }

    /// An operator dealt with exception `id`: it moves to the resolved list with who and how.
    /// Resolving it again changes nothing.
    pub async fn resolve_exception(
        &self,
        id: &str,
        operator: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> Result<ProcessException, AppError> {
        let log = self.exception_log()?;
        let mut exception = log
            .exception(id)
            .await?
            .ok_or(AppError::NotFound { what: "exception" })?;
        if exception.resolve(operator, resolution, now) {
            log.save_exception(&exception).await?;
        }
        Ok(exception)
    }

    /// Shows the jobs' runs from `log`.
    pub fn with_job_log(mut self, log: Arc<dyn JobLog>) -> Self {
        self.job_log = Some(log);
        self
    }

    /// Enables "run now" through the job-requests queue.
    pub fn with_job_queue(mut self, queue: Arc<dyn EventQueue>) -> Self {
        self.job_queue = Some(queue);
        self
    }

    /// The latest `limit` runs of the jobs, newest first (none when no log is kept).
    pub async fn job_runs(&self, limit: usize) -> Result<Vec<JobRun>, AppError> {
        match &self.job_log {
            Some(log) => Ok(log.recent_runs(limit.min(MAX_JOB_RUNS)).await?),
            None => Ok(Vec::new()),
        }
    }

    /// An operator's "run now": the job runs as its schedule would, and its run shows in the
    /// log with who asked.
    pub async fn request_job(
        &self,
        job: Job,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<JobRequest, AppError> {
        let queue = self.job_queue.as_ref().ok_or(AppError::QueueUnavailable)?;
        let request = JobRequest {
            job,
            request_id: uuid::Uuid::new_v4().to_string(),
            requested_by: operator.to_owned(),
            requested_at: now,
        };
        let message = QueueMessage {
            id: request.request_id.clone(),
            group: JobRequest::GROUP.to_owned(),
            body: serde_json::to_string(&request).expect("a job request serialises"),
        };
        queue.send(&message).await.map_err(|error| {
            tracing::warn!(%error, "job request not sent");
            AppError::QueueUnavailable
        })?;
        Ok(request)
    }

    /// Enables "sync now" through the order-events queue.
    pub fn with_queue(mut self, queue: Arc<dyn EventQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// An operator's "sync now" on a selection: sent on the order-events queue, whose
    /// consumer syncs it whatever the automatic-sync switches say.
    pub async fn request_sync(
        &self,
        orders: Vec<OrderId>,
        customers: Vec<CustomerKey>,
        carts: Vec<CartId>,
        now: DateTime<Utc>,
    ) -> Result<SyncRequest, AppError> {
        let queue = self.queue.as_ref().ok_or(AppError::QueueUnavailable)?;
        let request = SyncRequest::new(
            uuid::Uuid::new_v4().to_string(),
            orders,
            customers,
            carts,
            now,
        );
        let message = QueueMessage {
            id: request.request_id.clone(),
            group: SyncRequest::GROUP.to_owned(),
            body: serde_json::to_string(&request).expect("a sync request serialises"),
        };
        queue.send(&message).await.map_err(|error| {
            tracing::warn!(%error, "sync request not sent");
            AppError::QueueUnavailable
        })?;
        Ok(request)
    }

    /// A page of the orders in `listing.state`; `next` is the cursor of the page after.
    pub async fn orders(&self, listing: &Listing) -> Result<Page<OrderSync>, AppError> {
        let page = self
            .ledger
            .orders_in_sync_state(listing.state, &listing.page)
            .await?;
        Ok(with_cursor(page))
    }

    /// A page of the customers in `listing.state`, as for orders.
    pub async fn customers(&self, listing: &Listing) -> Result<Page<CustomerSync>, AppError> {
        let page = self
            .ledger
            .customers_in_sync_state(listing.state, &listing.page)
            .await?;
        Ok(with_cursor(page))
    }

    /// A page of the abandoned carts in `listing.state`, as for orders.
    pub async fn carts(&self, listing: &Listing) -> Result<Page<CartSync>, AppError> {
        let page = self
            .ledger
            .carts_in_sync_state(listing.state, &listing.page)
            .await?;
        Ok(with_cursor(page))
    }

    /// The settings in force: the saved ones, else the defaults (at version 0).
    pub async fn settings(&self) -> Result<SyncSettings, AppError> {
        Ok(self
            .ledger
            .sync_settings()
            .await?
            .unwrap_or_else(|| self.defaults.clone()))
    }

    /// Saves `read`, the settings an operator read at `read.version` and changed, as the
    /// version after it. `Conflict` if they were saved since (the operator reads again).
    pub async fn save_settings(&self, read: SyncSettings) -> Result<SyncSettings, AppError> {
        check_settings(&read)?;
        // No settings are ever saved at the last version there is: one past it is stale.
        let version = read.version.checked_add(1).ok_or(AppError::Conflict)?;
        let saved = SyncSettings { version, ..read };
        self.ledger.save_sync_settings(&saved).await?;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::ids::EventId;
    use crate::money::{Currency, Money};
    use crate::order::lifecycle::OrderStatus;
    use crate::ports::{StoreError, SyncChange, SyncRecordError};
    use crate::sync::status::{ObjectSync, PriceSync};

    /// The ledger's settings rule (new at 1, else over the version before) and one page of
    /// orders, recording what it was asked for.
    struct Ledger {
        settings: Mutex<Option<SyncSettings>>,
        orders: Page<OrderSync>,
        asked: Mutex<Vec<(SyncState, PageRequest)>>,
    }

    impl Ledger {
        fn with_orders(orders: Page<OrderSync>) -> Self {
            Ledger {
                settings: Mutex::new(None),
                orders,
                asked: Mutex::new(Vec::new()),
            }
        }

        fn empty() -> Self {
            Self::with_orders(Page {
                items: Vec::new(),
                next: None,
            })
        }
    }

    #[async_trait]
    impl SyncLedger for Ledger {
        async fn sync_settings(&self) -> Result<Option<SyncSettings>, StoreError> {
            Ok(self.settings.lock().unwrap().clone())
        }
        async fn save_sync_settings(&self, settings: &SyncSettings) -> Result<(), StoreError> {
            let mut stored = self.settings.lock().unwrap();
            let fits = match stored.as_ref() {
                None => settings.version == 1,
                Some(s) => settings.version == s.version + 1,
            };
            if !fits {
                return Err(StoreError::Conflict);
            }
            *stored = Some(settings.clone());
            Ok(())
        }
        async fn customer_sync(&self, _: &CustomerKey) -> Result<Option<CustomerSync>, StoreError> {
            unimplemented!("not read by the admin")
        }
        async fn order_sync(&self, _: &OrderId) -> Result<Option<OrderSync>, StoreError> {
            unimplemented!("not read by the admin")
        }
        async fn event_applied(&self, _: &EventId) -> Result<bool, StoreError> {
            unimplemented!("not read by the admin")
        }
        async fn price_entries(&self, _: &[String]) -> Result<Vec<PriceSync>, StoreError> {
            unimplemented!("not read by the admin")
        }
        async fn record_sync(&self, _: &SyncChange) -> Result<(), SyncRecordError> {
            unimplemented!("the admin writes no sync status")
        }
        async fn orders_in_sync_state(
            &self,
            state: SyncState,
            page: &PageRequest,
        ) -> Result<Page<OrderSync>, StoreError> {
            self.asked.lock().unwrap().push((state, page.clone()));
            Ok(self.orders.clone())
        }
        async fn customers_in_sync_state(
            &self,
            _: SyncState,
            _: &PageRequest,
        ) -> Result<Page<CustomerSync>, StoreError> {
            unimplemented!("orders stand for every list here")
        }
        async fn cart_sync(&self, _: &CartId) -> Result<Option<CartSync>, StoreError> {
            unimplemented!("not read by the admin")
        }
        async fn carts_in_sync_state(
            &self,
            _: SyncState,
            _: &PageRequest,
        ) -> Result<Page<CartSync>, StoreError> {
            unimplemented!("orders stand for every list here")
        }
    }

    fn admin(ledger: Ledger, defaults: SyncSettings) -> (SyncAdmin, Arc<Ledger>) {
        let ledger = Arc::new(ledger);
        (SyncAdmin::new(ledger.clone(), defaults), ledger)
    }

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn order_sync(id: &str, updated_at: DateTime<Utc>) -> OrderSync {
        OrderSync {
            order_id: OrderId::parse(id).unwrap(),
            customer_key: CustomerKey::parse("cust-1").unwrap(),
            number: "SO-0000-0000-0001".into(),
            status: OrderStatus::Paid,
            total: Money::new(2400, Currency::USD),
            order_version: 1,
            order_activated: false,
            objects: BTreeMap::from([(
                CrmObject::Opportunity,
                ObjectSync {
                    id: None,
                    state: SyncState::Failed,
                    attempts: 5,
                    last_error: Some("503".into()),
                    last_synced_at: None,
                },
            )]),
            products: Default::default(),
            order_summary_id: None,
            follow_up_sent: false,
            updated_at,
            version: 1,
        }
    }

    const ORDER: &str = "ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01";

    #[test]
    fn a_listing_needs_a_state_and_takes_fifty_by_default() {
        let listing = Listing::orders(Some("failed"), None, None).unwrap();
        assert_eq!(listing.state, SyncState::Failed);
        assert_eq!(listing.page, PageRequest::first(DEFAULT_PAGE_SIZE));
        for state in [None, Some("FAILED"), Some(""), Some("done")] {
            assert_eq!(
                Listing::orders(state, None, None).unwrap_err().field,
                "state"
            );
        }
    }

    #[test]
    fn a_limit_is_a_whole_number_from_one_to_two_hundred() {
        assert_eq!(
            Listing::orders(Some("synced"), Some("200"), None)
                .unwrap()
                .page
                .limit,
            200
        );
        for limit in ["0", "201", "-1", "2.5", "ten", ""] {
            assert_eq!(
                Listing::orders(Some("synced"), Some(limit), None)
                    .unwrap_err()
                    .field,
                "limit",
                "{limit}"
            );
        }
    }

    #[test]
    fn a_cursor_is_a_position_of_the_same_kind_of_record() {
        let order = order_sync(ORDER, at("2026-12-01T10:00:00.25Z"));
        let cursor = cursor(order.position());
        assert_eq!(cursor, format!("2026-12-01T10:00:00.250000000Z~{ORDER}"));
        let listing = Listing::orders(Some("failed"), None, Some(&cursor)).unwrap();
        assert_eq!(listing.page.after, Some(order.position()));
        assert_eq!(
            Listing::customers(Some("failed"), None, Some(&cursor))
                .unwrap()
                .page
                .after,
            Some(order.position()),
            "an order id is a well-formed customer key too"
        );
        for junk in [
            "",
            "x",
            ORDER,
            &order.position(),
            "2026-12-01T10:00:00Z~ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01",
            "2026-12-01T10:00:00.250000000Z~cust-1",
            "2026-12-01T10:00:00.250000000Z~",
        ] {
            assert_eq!(
                Listing::orders(Some("failed"), None, Some(junk))
                    .unwrap_err()
                    .field,
                "after",
                "{junk}"
            );
        }
        assert!(
            Listing::customers(
                Some("failed"),
                None,
                Some("2026-12-01T10:00:00.250000000Z~cust-1")
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn a_page_is_read_from_the_ledger_and_its_next_position_given_as_a_cursor() {
        let last = order_sync(ORDER, at("2026-12-01T10:00:00Z"));
        let ledger = Ledger::with_orders(Page {
            items: vec![last.clone()],
            next: Some(last.position()),
        });
        let (admin, ledger) = admin(ledger, SyncSettings::default());
        let listing = Listing::orders(Some("failed"), Some("1"), None).unwrap();
        let page = admin.orders(&listing).await.unwrap();
        assert_eq!(page.items, vec![last]);
        let next = page.next.expect("a full page says where the next starts");
        let following = Listing::orders(Some("failed"), Some("1"), Some(&next)).unwrap();
        admin.orders(&following).await.unwrap();
        let asked = ledger.asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            vec![
                (SyncState::Failed, PageRequest::first(1)),
                (SyncState::Failed, following.page.clone())
            ]
        );
        assert_eq!(
            following.page.after.as_deref(),
            Some(format!("2026-12-01T10:00:00.000000000Z#{ORDER}").as_str())
        );
    }

    #[tokio::test]
    async fn the_defaults_are_in_force_until_an_operator_saves_and_a_stale_save_conflicts() {
        let defaults = SyncSettings {
            sales_cycle_days: 15,
            ..SyncSettings::default()
        };
        let (admin, _) = admin(Ledger::empty(), defaults.clone());
        let read = admin.settings().await.unwrap();
        assert_eq!(read, defaults);
        assert_eq!(read.version, 0);

        let changed = SyncSettings {
            auto_sync_orders: false,
            ..read.clone()
        };
        let saved = admin.save_settings(changed).await.unwrap();
        assert_eq!(saved.version, 1);
        assert_eq!(admin.settings().await.unwrap(), saved);
        assert!(!saved.auto_sync_orders);

        let stale = SyncSettings {
            sales_cycle_days: 60,
            ..read
        };
        assert!(matches!(
            admin.save_settings(stale).await,
            Err(AppError::Conflict)
        ));
        assert_eq!(admin.settings().await.unwrap(), saved, "nothing changed");
    }

    #[tokio::test]
    async fn settings_naming_no_record_of_their_kind_are_refused_before_saving() {
        let (admin, ledger) = admin(Ledger::empty(), SyncSettings::default());
        let junk = SyncSettings {
            draft_stage: " ".into(),
            sales_cycle_days: 3651,
            standard_pricebook_id: Some("junk".into()),
            default_owner_id: Some("00G000000000001AAA".into()),
            ..SyncSettings::default()
        };
        let Err(AppError::Domain(DomainError::Invalid(invalid))) = admin.save_settings(junk).await
        else {
            panic!("invalid settings are refused");
        };
        let fields: Vec<&str> = invalid.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "draft_stage",
                "sales_cycle_days",
                "default_owner_id",
                "standard_pricebook_id"
            ]
        );
        assert_eq!(*ledger.settings.lock().unwrap(), None);

        let named = SyncSettings {
            opportunity_record_type_id: Some("012000000000001AAA".into()),
            default_owner_id: Some("005000000000001".into()),
            default_lead_owner_id: Some("00G000000000001AAA".into()),
            standard_pricebook_id: Some("01s000000000001AAA".into()),
            sales_cycle_days: MAX_SALES_CYCLE_DAYS,
            ..SyncSettings::default()
        };
        assert_eq!(check_settings(&named), Ok(()));
    }

    #[test]
    fn a_record_link_opens_it_in_lightning_and_an_instance_is_an_http_url() {
        let instance = SalesforceInstance::parse("https://acme.my.salesforce.com/").unwrap();
        let id = CrmId::parse("006000000000001AAA").unwrap();
        assert_eq!(
            instance.record_link(CrmObject::Opportunity, &id),
            "https://acme.my.salesforce.com/lightning/r/Opportunity/006000000000001AAA/view"
        );
        assert!(SalesforceInstance::parse("http://127.0.0.1:4000").is_ok());
        for junk in [
            "",
            "acme.my.salesforce.com",
            "ftp://acme",
            "https://",
            "https://acme.my.salesforce.com/path",
            "https://user@acme",
            "https://acme?x=1",
        ] {
            assert!(SalesforceInstance::parse(junk).is_err(), "{junk}");
        }
    }
}

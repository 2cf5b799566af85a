//! The fulfilment use case: a paid order becomes one fulfilment order per location that ships
//! it (the order moves to `fulfilling`); each fulfilment order is sent to the fulfilment
//! provider, once, by its id; the provider's shipment notices record the parcels and move the
//! order to `shipped` once every unit left and to `delivered` once every parcel arrived.
//! Everything an operator must act on (an order the allocation does not fit, a provider that
//! refuses an order, a notice for no known fulfilment order) is a process exception.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use super::{
    FulfilmentEvent, FulfilmentOrder, FulfilmentOrderId, FulfilmentStatus, Invoice, ShipmentNotice,
    fulfilment_orders,
};
use crate::app_error::AppError;
use crate::events::{EventType, OutboxEvent};
use crate::exceptions::{ExceptionCategory, ProcessException};
use crate::money::Money;
use crate::order::Order;
use crate::order::lifecycle::{OrderEvent, OrderStatus};
use crate::outbox::OutboxRelay;
use crate::ports::{
    Clock, ExceptionLog, FulfilmentStore, OrderStore, PageRequest, Period, ShipmentChange,
    StartFulfilment, StoreError,
};
use crate::retry::{Attempt, retry_on_conflict};

/// Records read per page.
const PAGE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProviderError {
    #[error("the fulfilment provider is unavailable: {0}")]
    Unavailable(String),
    #[error("the fulfilment provider refused the order: {0}")]
    Refused(String),
}

/// The fulfilment provider: takes a fulfilment order to ship. Sending the same fulfilment
/// order again must not ship it twice (the adapter names it by its id).
#[async_trait]
pub trait FulfilmentProvider: Send + Sync {
    async fn send(&self, fulfilment: &FulfilmentOrder, order: &Order) -> Result<(), ProviderError>;
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FulfilmentRun {
    /// Paid orders whose fulfilment orders were created.
    pub started: usize,
    /// Paid orders waiting for a manager to approve their discount.
    pub awaiting_approval: usize,
    pub exported: usize,
    /// Left for the next run: the provider was unavailable.
    pub not_exported: usize,
    /// Refused by the provider, or an allocation that does not fit: process exceptions.
    pub exceptions: usize,
}

/// How a shipment notice was handled; each is acknowledged to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeOutcome {
    Applied,
    /// Applied before.
    Replayed,
    /// It names no fulfilment order of this store, or does not fit the one it names: kept
    /// as a process exception.
    Unmatched,
}

pub struct Fulfilment {
    orders: Arc<dyn OrderStore>,
    store: Arc<dyn FulfilmentStore>,
    /// Without one, fulfilment orders wait as `allocated` (the webhook function takes notices
    /// only).
    provider: Option<Arc<dyn FulfilmentProvider>>,
    exceptions: Arc<dyn ExceptionLog>,
    clock: Arc<dyn Clock>,
    relay: Option<Arc<OutboxRelay>>,
}

impl Fulfilment {
    pub fn new(
        orders: Arc<dyn OrderStore>,
        store: Arc<dyn FulfilmentStore>,
        exceptions: Arc<dyn ExceptionLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Fulfilment {
            orders,
            store,
            provider: None,
            exceptions,
            clock,
            relay: None,
        }
    }

    /// Sends fulfilment orders to `provider`.
    pub fn with_provider(mut self, provider: Arc<dyn FulfilmentProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Sends each change's event to the queue once it is committed (else the sweep does).
    pub fn with_relay(mut self, relay: Arc<OutboxRelay>) -> Self {
        self.relay = Some(relay);
        self
    }

    async fn publish(&self, event: &OutboxEvent) {
        if let Some(relay) = &self.relay {
            relay.publish(std::slice::from_ref(event)).await;
        }
    }

    /// Starts every paid order's fulfilment, then sends every fulfilment order not yet with
    /// the provider, while `time_left` says so.
    pub async fn run(
        &self,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<FulfilmentRun, StoreError> {
        let mut run = FulfilmentRun::default();
        let every = Period {
            from: DateTime::<Utc>::UNIX_EPOCH,
            until: self.clock.now(),
        };
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .orders
                .orders_in_status(OrderStatus::Paid, &every, &page)
                .await?;
            for order in &found.items {
                if !time_left() {
                    return Ok(run);
                }
                self.start(order, &mut run).await?;
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        let Some(provider) = &self.provider else {
            return Ok(run);
        };
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .store
                .fulfilment_orders_in_status(FulfilmentStatus::Allocated, &page)
                .await?;
            for fulfilment in &found.items {
                if !time_left() {
                    return Ok(run);
                }
                self.export(provider.as_ref(), fulfilment, &mut run).await?;
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(run),
            }
        }
    }

    async fn raise(
        &self,
        category: ExceptionCategory,
        order: Option<&Order>,
        cause: &str,
        message: String,
    ) -> Result<(), StoreError> {
        let exception = ProcessException::raise(
            category,
            order.map(|o| o.id.clone()),
            cause,
            message,
            self.clock.now(),
        );
        if self.exceptions.raise(&exception).await? {
            tracing::warn!(
                category = category.as_str(),
                cause,
                "process exception raised"
            );
        }
        Ok(())
    }

    async fn start(&self, order: &Order, run: &mut FulfilmentRun) -> Result<(), StoreError> {
        let now = self.clock.now();
        let next = match order.apply(OrderEvent::StartFulfilment, now) {
            Ok(next) => next,
            Err(crate::DomainError::ApprovalRequired { .. }) => {
                run.awaiting_approval += 1;
                return Ok(());
            }
            // Moved on meanwhile: another run started it.
            Err(_) => return Ok(()),
        };
        let fulfilment = match fulfilment_orders(order, &order.allocation(), now) {
            Ok(fulfilment) => fulfilment,
            Err(error) => {
                run.exceptions += 1;
                return self
                    .raise(
                        ExceptionCategory::AllocationImpossible,
                        Some(order),
                        order.id.as_str(),
                        format!("order {}: {error}", order.number),
                    )
                    .await;
            }
        };
        let start = StartFulfilment {
            event: OutboxEvent::for_order(EventType::OrderFulfilling, &next, now),
            expected_order_version: order.version,
            order: next,
            fulfilment_orders: fulfilment,
        };
        match self.store.start_fulfilment(&start).await {
            Ok(()) => {
                run.started += 1;
                tracing::info!(order_id = %order.id, fulfilment_orders = start.fulfilment_orders.len(), "fulfilment started");
                self.publish(&start.event).await;
                Ok(())
            }
            // The order changed since it was listed (cancelled, or started by another run).
            Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn export(
        &self,
        provider: &dyn FulfilmentProvider,
        fulfilment: &FulfilmentOrder,
        run: &mut FulfilmentRun,
    ) -> Result<(), StoreError> {
        let Some(order) = self.orders.order(&fulfilment.order_id).await? else {
            return Ok(());
        };
        match provider.send(fulfilment, &order).await {
            Ok(()) => {
                let Ok(exported) = fulfilment.apply(FulfilmentEvent::Export, self.clock.now())
                else {
                    return Ok(());
                };
                match self
                    .store
                    .save_fulfilment_order(&exported, fulfilment.version)
                    .await
                {
                    // A notice came first: the provider has it, which is all an export says.
                    Ok(()) | Err(StoreError::Conflict) => {
                        run.exported += 1;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Err(ProviderError::Unavailable(error)) => {
                tracing::warn!(fulfilment_order = %fulfilment.id, %error, "fulfilment order not sent yet");
                run.not_exported += 1;
                Ok(())
            }
            Err(ProviderError::Refused(error)) => {
                run.exceptions += 1;
                self.raise(
                    ExceptionCategory::FulfilmentRefused,
                    Some(&order),
                    fulfilment.id.as_str(),
                    format!(
                        "fulfilment order {} of order {} from {}: {error}",
                        fulfilment.id, order.number, fulfilment.location
                    ),
                )
                .await
            }
        }
    }

    /// A shipment notice from the provider, about fulfilment order `id`.
    pub async fn receive(
        &self,
        id: &str,
        notice: &ShipmentNotice,
    ) -> Result<NoticeOutcome, AppError> {
        let found = match FulfilmentOrderId::parse(id) {
            Ok(id) => self.store.fulfilment_order(&id).await?,
            Err(_) => None,
        };
        let Some(_) = found else {
            self.raise(
                ExceptionCategory::ShipmentUnmatched,
                None,
                &notice.notice_id,
                format!(
                    "shipment notice {} ({} {}) names fulfilment order {id:?}, which this store does not have",
                    notice.notice_id, notice.carrier, notice.tracking_number
                ),
            )
            .await?;
            return Ok(NoticeOutcome::Unmatched);
        };
        let id = FulfilmentOrderId::parse(id).expect("parsed above");
        let (id, notice) = (&id, notice);
        retry_on_conflict(move || self.apply(id, notice)).await
    }

    /// One read-decide-write round of a notice.
    async fn apply(
        &self,
        id: &FulfilmentOrderId,
        notice: &ShipmentNotice,
    ) -> Result<Attempt<NoticeOutcome>, AppError> {
        let Some(fulfilment) = self.store.fulfilment_order(id).await? else {
            return Ok(Attempt::Done(NoticeOutcome::Unmatched));
        };
        let Some(order) = self.orders.order(&fulfilment.order_id).await? else {
            return Ok(Attempt::Done(NoticeOutcome::Unmatched));
        };
        let now = self.clock.now();
        let next = match fulfilment.receive(notice, now) {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(Attempt::Done(NoticeOutcome::Replayed)),
            Err(error) => {
                self.raise(
                    ExceptionCategory::ShipmentUnmatched,
                    Some(&order),
                    &notice.notice_id,
                    format!(
                        "shipment notice {} for fulfilment order {id} of order {}: {error}",
                        notice.notice_id, order.number
                    ),
                )
                .await?;
                return Ok(Attempt::Done(NoticeOutcome::Unmatched));
            }
        };
        let mut all = self.store.fulfilment_orders(&order.id).await?;
        let mut next = next;
        if next.invoice.is_none()
            && matches!(
                next.status,
                FulfilmentStatus::Shipped | FulfilmentStatus::Delivered
            )
        {
            next.invoice = Some(invoice(&order, &next, &all, now)?);
        }
        for fo in all.iter_mut().filter(|fo| fo.id == next.id) {
            *fo = next.clone();
        }
        let (moved, event_type) = order_after(&order, &all, now);
        let change = ShipmentChange {
            expected_version: fulfilment.version,
            expected_order_version: order.version,
            event: moved
                .as_ref()
                .zip(event_type)
                .map(|(o, t)| OutboxEvent::for_order(t, o, now)),
            order: moved,
            fulfilment_order: next,
        };
        match self.store.record_shipment(&change).await {
            Ok(()) => {
                tracing::info!(fulfilment_order = %id, notice = %notice.notice_id, "shipment notice applied");
                if let Some(event) = &change.event {
                    self.publish(event).await;
                }
                Ok(Attempt::Done(NoticeOutcome::Applied))
            }
            Err(StoreError::Conflict) => Ok(Attempt::Conflict),
            Err(e) => Err(e.into()),
        }
    }
}

/// The invoice of a fulfilment order that shipped: its share of what the order costs now
/// (after items cancelled before fulfilment), by the value of the goods it carries; the last
/// one invoiced takes what is left, so an order's invoices add up to its total to the minor
/// unit. The order's payment was captured in full before fulfilment: an invoice documents the
/// part of it a shipment stands for.
fn invoice(
    order: &Order,
    shipped: &FulfilmentOrder,
    all: &[FulfilmentOrder],
    now: DateTime<Utc>,
) -> Result<Invoice, AppError> {
    let total = crate::order::changes::current_totals(order, &order.changes)?.total;
    let goods = |fo: &FulfilmentOrder| -> i128 {
        fo.lines
            .iter()
            .map(|l| i128::from(l.unit_price.minor_units()) * i128::from(l.quantity.get()))
            .sum()
    };
    let live: Vec<&FulfilmentOrder> = all
        .iter()
        .filter(|fo| fo.status != FulfilmentStatus::Cancelled)
        .collect();
    let others_invoiced: Vec<&Invoice> = live
        .iter()
        .filter(|fo| fo.id != shipped.id)
        .filter_map(|fo| fo.invoice.as_ref())
        .collect();
    let last = others_invoiced.len() + 1 == live.len();
    let amount = if last {
        let billed = others_invoiced
            .iter()
            .try_fold(Money::zero(order.currency), |sum, i| {
                sum.checked_add(i.amount)
            })?;
        total.checked_sub(billed)?
    } else {
        let all_goods: i128 = live.iter().map(|fo| goods(fo)).sum();
        let share = if all_goods == 0 {
            0
        } else {
            i128::from(total.minor_units()) * goods(shipped) / all_goods
        };
        Money::new(i64::try_from(share).unwrap_or(0), order.currency)
    };
    Ok(Invoice {
        id: format!("inv_{}", &shipped.id.as_str()[3..]),
        amount,
        issued_at: now,
    })
}

/// Where the order stands once its fulfilment orders stand as `all` say: shipped when every
/// one left (or was cancelled), delivered when every one arrived. `None` when it stays.
fn order_after(
    order: &Order,
    all: &[FulfilmentOrder],
    now: DateTime<Utc>,
) -> (Option<Order>, Option<EventType>) {
    let live: Vec<&FulfilmentOrder> = all
        .iter()
        .filter(|fo| fo.status != FulfilmentStatus::Cancelled)
        .collect();
    if live.is_empty() {
        return (None, None);
    }
    let delivered = live
        .iter()
        .all(|fo| fo.status == FulfilmentStatus::Delivered);
    let shipped = live.iter().all(|fo| {
        matches!(
            fo.status,
            FulfilmentStatus::Shipped | FulfilmentStatus::Delivered
        )
    });
    let mut current = order.clone();
    let mut event_type = None;
    if shipped
        && current.status == OrderStatus::Fulfilling
        && let Ok(next) = current.apply(OrderEvent::Ship, now)
    {
        current = next;
        event_type = Some(EventType::OrderShipped);
    }
    if delivered
        && current.status == OrderStatus::Shipped
        && let Ok(next) = current.apply(OrderEvent::Deliver, now)
    {
        current = next;
        event_type = Some(EventType::OrderDelivered);
    }
    match event_type {
        Some(t) => (Some(current), Some(t)),
        None => (None, None),
    }
}

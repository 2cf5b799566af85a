//! Abandoned carts: a cart that reached the payment step and then sat idle, with no order,
//! is a sale sales can still win. A customer's becomes an Opportunity at the abandoned-cart
//! stage; a guest's, a Lead. Each run sends only carts changed since they were last sent, so
//! running it again changes nothing, and an edited cart updates the same records. The order
//! that finally comes from the cart carries its Opportunity on.

use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;

use crate::cart::{Cart, CartStatus};
use crate::ids::CartId;
use crate::ports::{CartStore, PageRequest, Period};
use crate::sync::carts::{CartSend, CartSent};
use crate::sync::consumer::{CrmSync, SyncError};
use crate::sync::settings::SyncSettings;
use crate::sync::status::CartReason;

/// Carts read per page.
const PAGE: usize = 100;
/// How far back past the idle time a run looks: a cart idle longer was seen by earlier runs
/// (an edit brings it back into view).
pub const LOOKBACK: Duration = Duration::days(7);

/// What a run did, for its one-line log and the operators' view of the last runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AbandonedSummary {
    pub carts_synced: usize,
    pub carts_failed: usize,
    /// Not changed since they were last sent.
    pub carts_unchanged: usize,
    /// Automatic sync of carts is off: listed as pending for an operator.
    pub carts_waiting: usize,
    pub stopped: Option<String>,
}

/// How one cart's sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartHandled {
    Synced,
    Unchanged,
    /// Automatic sync is off: recorded as pending.
    Waiting,
    /// Salesforce refused it, or was unavailable: recorded on the cart with the error.
    Failed(String),
    /// Nothing to send: no lines, a guest without an e-mail, or the cart is no longer
    /// waiting at checkout.
    Skipped,
}

pub struct AbandonedCarts {
    sync: Arc<CrmSync>,
    carts: Arc<dyn CartStore>,
}

impl AbandonedCarts {
    pub fn new(sync: Arc<CrmSync>, carts: Arc<dyn CartStore>) -> Self {
        AbandonedCarts { sync, carts }
    }

    /// The scheduled run: every cart at checkout idle for `idle` (but not for longer than
    /// [`LOOKBACK`] more), while `time_left` says so.
    pub async fn run(
        &self,
        idle: Duration,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<AbandonedSummary, SyncError> {
        let settings = self.sync.settings().await?;
        let now = self.sync.clock.now();
        let idle_since = Period {
            from: now - idle - LOOKBACK,
            until: now - idle,
        };
        let mut summary = AbandonedSummary::default();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .carts
                .carts_in_status(CartStatus::Checkout, &idle_since, &page)
                .await?;
            for cart in &found.items {
                if !time_left() {
                    summary.stopped = Some("the run's time ran out".into());
                    return Ok(summary);
                }
                let handled = self
                    .sync_cart(cart, &settings, !settings.auto_sync_carts, false)
                    .await?;
                match handled {
                    CartHandled::Synced => summary.carts_synced += 1,
                    CartHandled::Failed(_) => summary.carts_failed += 1,
                    CartHandled::Unchanged => summary.carts_unchanged += 1,
                    CartHandled::Waiting => summary.carts_waiting += 1,
                    CartHandled::Skipped => {}
                }
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(summary),
            }
        }
    }

    /// An operator's "sync now" (or the nightly re-sync) on one cart, whatever the
    /// automatic-sync switch says.
    pub async fn sync_now(&self, id: &CartId) -> Result<CartHandled, SyncError> {
        let settings = self.sync.settings().await?;
        match self.carts.cart(id).await? {
            Some(cart) => self.sync_cart(&cart, &settings, false, true).await,
            None => Ok(CartHandled::Skipped),
        }
    }

    /// Sends one cart as abandoned, or with `hold` only records that it waits. Without
    /// `force`, a cart sent at its current version is left alone. An operator's sync of a
    /// big cart not at checkout sends it as a big cart.
    async fn sync_cart(
        &self,
        cart: &Cart,
        settings: &SyncSettings,
        hold: bool,
        force: bool,
    ) -> Result<CartHandled, SyncError> {
        let reason = if force && cart.big && cart.status == CartStatus::Open {
            CartReason::Big
        } else {
            CartReason::Abandoned
        };
        let send = CartSend {
            reason,
            hold,
            force,
            event_id: None,
            last_try: false,
        };
        let handled = match self.sync.send_cart(cart, settings, send).await? {
            CartSent::Synced => CartHandled::Synced,
            CartSent::Unchanged => CartHandled::Unchanged,
            CartSent::Waiting => CartHandled::Waiting,
            CartSent::Skipped => CartHandled::Skipped,
            CartSent::Failed(e) => CartHandled::Failed(e.to_string()),
        };
        Ok(handled)
    }
}

//! The daily report to the store's managers: the day's orders and revenue per currency, the
//! ten best-selling products, how many of the day's active carts became orders, and the
//! refunds. Built from the store's lists by status and last change, and mailed once per day.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cart::CartStatus;
use crate::ids::{Email, Sku};
use crate::money::{Currency, Money, MoneyError};
use crate::order::Order;
use crate::order::lifecycle::{OrderStatus, PaymentStatus};
use crate::ports::{CartStore, Mail, Mailbox, OrderStore, PageRequest, Period, StoreError};

/// Records read per page.
const PAGE: usize = 500;
/// Products the report ranks.
const TOP_PRODUCTS: usize = 10;

/// A count and a sum of orders in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    pub currency: Currency,
    pub orders: usize,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSales {
    pub sku: Sku,
    pub name: String,
    pub units: u64,
}

/// The carts shoppers worked on that day: those that became orders and those left open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartConversion {
    pub converted: usize,
    pub left_open: usize,
}

impl CartConversion {
    /// Converted carts over all the day's carts, in percent (none when there were none).
    pub fn rate_percent(&self) -> Option<f64> {
        let all = self.converted + self.left_open;
        (all > 0).then(|| 100.0 * self.converted as f64 / all as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    /// The UTC day reported on.
    pub day: NaiveDate,
    /// Orders placed that day, whatever became of them, by currency.
    pub placed: Vec<CurrencyTotal>,
    /// The day's orders whose payment was captured: the day's revenue.
    pub revenue: Vec<CurrencyTotal>,
    /// Units sold in the day's orders not cancelled, best first.
    pub top_products: Vec<ProductSales>,
    pub carts: CartConversion,
    /// Orders refunded that day (whenever placed), by currency.
    pub refunds: Vec<CurrencyTotal>,
}

#[derive(Debug, Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a total overflowed: {0}")]
    Money(#[from] MoneyError),
}

/// Sums of orders per currency.
#[derive(Default)]
struct Totals(BTreeMap<Currency, (usize, Money)>);

impl Totals {
    fn add(&mut self, order: &Order) -> Result<(), MoneyError> {
        let total = order.totals.total;
        let entry = self
            .0
            .entry(total.currency())
            .or_insert((0, Money::zero(total.currency())));
        entry.0 += 1;
        entry.1 = entry.1.checked_add(total)?;
        Ok(())
    }

    fn into_list(self) -> Vec<CurrencyTotal> {
        self.0
            .into_iter()
            .map(|(currency, (orders, amount))| CurrencyTotal {
                currency,
                orders,
                amount,
            })
            .collect()
    }
}

/// Builds the report and mails it to the managers.
pub struct Reporting {
    orders: Arc<dyn OrderStore>,
    carts: Arc<dyn CartStore>,
    mailbox: Arc<dyn Mailbox>,
    managers: Vec<Email>,
}

impl Reporting {
    pub fn new(
        orders: Arc<dyn OrderStore>,
        carts: Arc<dyn CartStore>,
        mailbox: Arc<dyn Mailbox>,
        managers: Vec<Email>,
    ) -> Self {
        Reporting {
            orders,
            carts,
            mailbox,
            managers,
        }
    }

    /// The report of `day`, read at `now` (after the day: orders placed that day and changed
    /// since are found by their last change up to now).
    pub async fn daily(
        &self,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<DailyReport, ReportError> {
        let start = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        let the_day = Period {
            from: start,
            until: start + Duration::days(1),
        };
        let since = Period {
            from: start,
            until: now.max(the_day.until),
        };
        let mut placed = Totals::default();
        let mut revenue = Totals::default();
        let mut refunds = Totals::default();
        let mut units: BTreeMap<Sku, ProductSales> = BTreeMap::new();
        for status in OrderStatus::ALL {
            for order in self.orders_in(status, &since).await? {
                if status == OrderStatus::Refunded && the_day.contains(order.updated_at) {
                    refunds.add(&order)?;
                }
                if !the_day.contains(order.created_at) {
                    continue;
                }
                placed.add(&order)?;
                if is_captured(order.payment_status) {
                    revenue.add(&order)?;
                }
                if status != OrderStatus::Cancelled {
                    for line in &order.lines {
                        let sales = units
                            .entry(line.sku.clone())
                            .or_insert_with(|| ProductSales {
                                sku: line.sku.clone(),
                                name: line.name.clone(),
                                units: 0,
                            });
                        sales.units += u64::from(line.quantity.get());
                    }
                }
            }
        }
        let mut top_products: Vec<ProductSales> = units.into_values().collect();
        top_products.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));
        top_products.truncate(TOP_PRODUCTS);
        let carts = CartConversion {
            converted: self.count_carts(CartStatus::Converted, &the_day).await?,
            left_open: self.count_carts(CartStatus::Open, &the_day).await?
                + self.count_carts(CartStatus::Checkout, &the_day).await?,
        };
        Ok(DailyReport {
            day,
            placed: placed.into_list(),
            revenue: revenue.into_list(),
            top_products,
            carts,
            refunds: refunds.into_list(),
        })
    }

    /// Builds the report of `day` and mails it, once: a second run finds the mail sent.
    pub async fn send_daily(
        &self,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<DailyReport, ReportError> {
        let report = self.daily(day, now).await?;
        let mail = Mail {
            id: format!("daily-report-{day}"),
            to: self.managers.clone(),
            subject: format!("Store report for {day}"),
            text: report.text(),
            html: None,
            sent_at: now,
        };
        match self.mailbox.deliver(&mail).await {
            Ok(()) | Err(StoreError::AlreadyExists) => Ok(report),
            Err(e) => Err(e.into()),
        }
    }

    async fn orders_in(
        &self,
        status: OrderStatus,
        changed: &Period,
    ) -> Result<Vec<Order>, StoreError> {
        let mut all = Vec::new();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self.orders.orders_in_status(status, changed, &page).await?;
            all.extend(found.items);
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(all),
            }
        }
    }

    async fn count_carts(&self, status: CartStatus, changed: &Period) -> Result<usize, StoreError> {
        let mut count = 0;
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self.carts.carts_in_status(status, changed, &page).await?;
            count += found.items.len();
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(count),
            }
        }
    }
}

/// The payment was taken (refunds and disputes come after that, and show as such).
fn is_captured(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
            | PaymentStatus::Disputed
    )
}

impl DailyReport {
    /// The mail's text: plain, for any mail reader.
    pub fn text(&self) -> String {
        let totals = |list: &[CurrencyTotal]| {
            if list.is_empty() {
                return "none".to_owned();
            }
            list.iter()
                .map(|t| format!("{} orders, {}", t.orders, t.amount))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut text = format!(
            "Store report for {}\n\nOrders placed: {}\nRevenue (paid): {}\nRefunds: {}\n",
            self.day,
            totals(&self.placed),
            totals(&self.revenue),
            totals(&self.refunds),
        );
        text.push_str(&format!(
            "Carts: {} became orders, {} left open{}\n\nTop products:\n",
            self.carts.converted,
            self.carts.left_open,
            self.carts
                .rate_percent()
                .map(|r| format!(" ({r:.1}% converted)"))
                .unwrap_or_default()
        ));
        if self.top_products.is_empty() {
            text.push_str("  none\n");
        }
        for (rank, p) in self.top_products.iter().enumerate() {
            text.push_str(&format!(
                "  {}. {} ({}): {} units\n",
                rank + 1,
                p.name,
                p.sku,
                p.units
            ));
        }
        text
    }
}

//! What the org sends out after a commit: change events on its event bus (kept for tests,
//! and relayed to EventBridge when a relay is set) and outbound messages, each handed to
//! its outbox for delivery.

use std::sync::Arc;

use serde_json::Value;

use crate::change_events::{Switches, change_events};
use crate::delivery::{Acceptance, Delivery, Outbox};
use crate::error::SfError;
use crate::ids;
use crate::org::Transaction;
use crate::outbound::{Action, OutboundMessage};
use crate::relay::{EventRelay, envelope};

/// The org's event bus and outbound message actions.
#[derive(Debug)]
pub(crate) struct Bus {
    pub switches: Switches,
    pub relay: Option<EventRelay>,
    replay_id: u64,
    events: Vec<Value>,
    actions: Vec<Action>,
    notification_number: u64,
    messages: Vec<String>,
    pub relay_outbox: Arc<Outbox>,
    pub outbound_outbox: Arc<Outbox>,
}

impl Bus {
    pub(crate) fn new(relay: Option<EventRelay>) -> Self {
        Self {
            switches: Switches::default(),
            relay,
            replay_id: 0,
            events: Vec::new(),
            actions: Vec::new(),
            notification_number: 0,
            messages: Vec::new(),
            relay_outbox: Outbox::new(),
            outbound_outbox: Outbox::new(),
        }
    }

    /// Adds an outbound message action; an unknown object or field is refused.
    pub(crate) fn add_outbound_message(
        &mut self,
        message: &OutboundMessage,
    ) -> Result<(), SfError> {
        let action = Action::new(self.actions.len() as u64 + 1, message)?;
        self.actions.push(action);
        Ok(())
    }

    /// Every change event so far, as EventBridge events, oldest first.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.events.clone()
    }

    /// Every outbound message the org has produced (each once, however often it was sent).
    pub(crate) fn messages(&self) -> Vec<String> {
        self.messages.clone()
    }

    /// Publishes the events and messages of committed transactions, in commit order.
    pub(crate) fn publish(&mut self, transactions: Vec<Transaction>, org_id: &str, base_url: &str) {
        for tx in &transactions {
            for event in change_events(tx, &mut self.switches) {
                self.replay_id += 1;
                let event = envelope(&event, self.replay_id, org_id, self.relay.as_ref());
                if let Some(relay) = &self.relay {
                    self.relay_outbox.push(Delivery {
                        url: relay.url.clone(),
                        content_type: "application/json",
                        headers: Vec::new(),
                        body: event.to_string(),
                        acceptance: Acceptance::Success,
                    });
                }
                self.events.push(event);
            }
            let Self {
                actions,
                notification_number,
                outbound_outbox,
                messages,
                ..
            } = self;
            for action in actions.iter() {
                let records = action.records(tx);
                if records.is_empty() {
                    continue;
                }
                let mut next_id = || {
                    *notification_number += 1;
                    ids::make_id("04l", *notification_number)
                };
                for body in action.messages(&records, org_id, base_url, &mut next_id) {
                    outbound_outbox.push(Delivery {
                        url: action.url.clone(),
                        content_type: "text/xml; charset=utf-8",
                        headers: vec![("SOAPAction", "\"\"")],
                        body: body.clone(),
                        acceptance: Acceptance::SoapAck,
                    });
                    messages.push(body);
                }
            }
        }
    }
}

//! Customers' mails kept by the embedded store, and the local mail service: mails delivered
//! into the store's mailbox, where the dev stack shows them.

use std::sync::Arc;

use async_trait::async_trait;
use storesync_core::notifications::{
    EmailMessage, Notification, NotificationStatus, Notifications, NotifyError,
};
use storesync_core::ports::{Clock, Mail, Mailbox, NotificationLog, Page, PageRequest, StoreError};

use crate::EmbeddedStore;

#[async_trait]
impl NotificationLog for EmbeddedStore {
    async fn record_notification(&self, notification: &Notification) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.notifications.contains_key(&notification.id) {
            return Ok(false);
        }
        state
            .notifications
            .insert(notification.id.clone(), notification.clone());
        Ok(true)
    }

    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        Ok(self.state().notifications.get(id).cloned())
    }

    async fn save_notification(&self, notification: &Notification) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.notifications.get(&notification.id).map(|n| n.version);
        if stored.is_none() || stored != notification.version.checked_sub(1) {
            return Err(StoreError::Conflict);
        }
        state
            .notifications
            .insert(notification.id.clone(), notification.clone());
        Ok(())
    }

    async fn notifications(
        &self,
        status: NotificationStatus,
        page: &PageRequest,
    ) -> Result<Page<Notification>, StoreError> {
        let state = self.state();
        let in_status = state.notifications.values().filter(|n| n.status == status);
        Ok(crate::sync::page_of(
            in_status,
            page,
            Notification::position,
        ))
    }
}

/// The local mail service: each mail lands in the store's mailbox, once by its id.
pub struct MailboxNotifications {
    mailbox: Arc<dyn Mailbox>,
    clock: Arc<dyn Clock>,
}

impl MailboxNotifications {
    pub fn new(mailbox: Arc<dyn Mailbox>, clock: Arc<dyn Clock>) -> Self {
        MailboxNotifications { mailbox, clock }
    }
}

#[async_trait]
impl Notifications for MailboxNotifications {
    async fn send(&self, message: &EmailMessage) -> Result<(), NotifyError> {
        let mail = Mail {
            id: message.id.clone(),
            to: vec![message.to.clone()],
            subject: message.subject.clone(),
            text: message.text.clone(),
            html: Some(message.html.clone()),
            sent_at: self.clock.now(),
        };
        match self.mailbox.deliver(&mail).await {
            // Delivered by an earlier try whose outcome was not recorded: once is enough.
            Ok(()) | Err(StoreError::AlreadyExists) => Ok(()),
            Err(e) => Err(NotifyError::Unavailable(Box::new(e))),
        }
    }
}

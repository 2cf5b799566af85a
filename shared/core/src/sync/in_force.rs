//! The sync settings in force, as a function outside the sync reads them: the operator's
//! (else the defaults), read again at most once per period, so that a busy storefront pays
//! one settings read a minute rather than one per cart change. An operator's change reaches
//! it within that period.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::ports::{Clock, StoreError, SyncLedger};
use crate::sync::settings::SyncSettings;

/// How long settings read are used before they are read again.
pub const SETTINGS_KEPT: Duration = Duration::seconds(60);

pub struct SettingsInForce {
    ledger: Arc<dyn SyncLedger>,
    defaults: SyncSettings,
    clock: Arc<dyn Clock>,
    kept: Duration,
    read: Mutex<Option<(DateTime<Utc>, Arc<SyncSettings>)>>,
}

impl SettingsInForce {
    pub fn new(ledger: Arc<dyn SyncLedger>, defaults: SyncSettings, clock: Arc<dyn Clock>) -> Self {
        SettingsInForce {
            ledger,
            defaults,
            clock,
            kept: SETTINGS_KEPT,
            read: Mutex::new(None),
        }
    }

    /// Keeps settings read for `kept` instead of [`SETTINGS_KEPT`].
    pub fn kept_for(mut self, kept: Duration) -> Self {
        self.kept = kept;
        self
    }

    /// The settings, read from the store unless read within the period.
    pub async fn get(&self) -> Result<Arc<SyncSettings>, StoreError> {
        let now = self.clock.now();
        if let Some((at, settings)) = self.read.lock().expect("settings lock").as_ref()
            && now - *at < self.kept
        {
            return Ok(settings.clone());
        }
        let settings = Arc::new(
            self.ledger
                .sync_settings()
                .await?
                .unwrap_or_else(|| self.defaults.clone()),
        );
        *self.read.lock().expect("settings lock") = Some((now, settings.clone()));
        Ok(settings)
    }
}

//! How an emulator instance is set up.

use std::net::SocketAddr;

use crate::outbound::OutboundMessage;
use crate::relay::EventRelay;

/// The demo connected app's client id (printed by the binary, used by tests).
pub const DEMO_CLIENT_ID: &str = "3MVG9storesyncEmulatorDemoClientId";
/// The demo connected app's client secret.
pub const DEMO_CLIENT_SECRET: &str = "storesync-emulator-demo-secret";
/// The integration user's username (`sub` of JWT bearer assertions).
pub const INTEGRATION_USERNAME: &str = "storesync.integration@example.com";

/// The sales manager's username: the approver of both storesync approval processes (a member
/// of their queue), who holds the "Discount Approval" and "Refund Access" permission sets.
pub const MANAGER_USERNAME: &str = "sales.manager@example.com";
/// The sales manager's password (with security token) for the username-password flow.
pub const MANAGER_PASSWORD: &str = "storesync-manager-demo-password";

/// A user who may log in with the OAuth username-password flow through the connected app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordLogin {
    /// The user's username; the org must have a user of that name.
    pub username: String,
    /// The password, with the security token appended as Salesforce expects.
    pub password: String,
}

/// Emulator settings. `Default` binds a free loopback port with the demo credentials.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    /// The connected app's consumer key: `iss` of JWT assertions, `client_id` of the client
    /// credentials flow.
    pub client_id: String,
    /// The connected app's consumer secret for the client credentials flow.
    pub client_secret: String,
    /// Usernames a JWT bearer assertion may name as `sub`.
    pub jwt_usernames: Vec<String>,
    /// When set, JWT bearer assertions must carry a valid RS256 signature by this key;
    /// otherwise only their structure, `alg`, `iss`, `aud`, `sub` and `exp` are checked.
    pub jwt_public_key: Option<rsa::RsaPublicKey>,
    /// Users who may log in with `grant_type=password` (by default the sales manager).
    pub password_logins: Vec<PasswordLogin>,
    /// The org's 24-hour API request limit (`DailyApiRequests.Max`).
    pub daily_api_limit: u64,
    /// Records per query batch.
    pub query_batch_size: usize,
    /// The org has multiple currencies: every object carries `CurrencyIsoCode`. Off, the
    /// field does not exist (`INVALID_FIELD`), as in a single-currency org.
    pub multi_currency: bool,
    /// The corporate currency: a record's `CurrencyIsoCode` when the create leaves it out.
    pub corporate_currency: String,
    /// The ISO codes a record may carry; any other is refused.
    pub active_currencies: Vec<String>,
    /// Relays the Account and Contact change events to this target, as Event Relay does
    /// to an EventBridge bus.
    pub event_relay: Option<EventRelay>,
    /// Outbound message actions, fired when a record of their object is created or edited.
    pub outbound_messages: Vec<OutboundMessage>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: DEMO_CLIENT_ID.to_string(),
            client_secret: DEMO_CLIENT_SECRET.to_string(),
            jwt_usernames: vec![INTEGRATION_USERNAME.to_string()],
            jwt_public_key: None,
            password_logins: vec![PasswordLogin {
                username: MANAGER_USERNAME.to_string(),
                password: MANAGER_PASSWORD.to_string(),
            }],
            daily_api_limit: 100_000,
            query_batch_size: 2000,
            multi_currency: true,
            corporate_currency: "USD".to_string(),
            active_currencies: ["USD", "EUR", "GBP", "INR", "JPY"]
                .map(String::from)
                .to_vec(),
            event_relay: None,
            outbound_messages: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    /// Requires JWT assertions to be signed by the key in this SPKI (`BEGIN PUBLIC KEY`) or
    /// PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
    pub fn with_jwt_public_key_pem(mut self, pem: &str) -> Result<Self, String> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| format!("invalid RSA public key PEM: {e}"))?;
        self.jwt_public_key = Some(key);
        Ok(self)
    }
}

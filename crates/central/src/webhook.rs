//! Alerts reach a person: the outbox sender that POSTs each alert to the operator's webhook.
//!
//! [`crate::alerts::raise`] writes every alert with a row in the `alert_deliveries` outbox, in
//! one transaction. [`run`] (started by [`crate::start_with`] when a webhook is configured)
//! claims due rows with a lease, so several service instances on one database never send a row
//! at the same time, POSTs each, and marks it delivered only on a 2xx; any other answer, or
//! none, releases it for a retry after an exponential backoff with jitter, capped at
//! [`MAX_BACKOFF`]. A row is retried until delivered: nothing is lost while the receiver is
//! down or the service is stopped. Delivery is at least once (a 2xx lost on the way back is
//! sent again): receivers deduplicate on the alert id.
//!
//! # The request
//! `POST <url>` with `Content-Type: application/json` and the body
//! `{"alert_id":…,"kind":…,"raised_at":…,"window_start":…,"daycare_id":…,"device_id":…,"detail":…}`
//! (ids and kinds only, never personal data), and the header
//! `X-PlaceForte-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, where the MAC is
//! computed with the shared secret over `<t>.<body>` (the decimal timestamp, a full stop, the
//! exact body bytes). A receiver recomputes the MAC over the same bytes, compares it in
//! constant time, and refuses a `t` more than a few minutes from its own clock, so a captured
//! request cannot be replayed later.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::watch;

use crate::audit::instant_text;
use crate::clock::Clock;
use crate::secret::Secret;
use crate::store::{AlertRecord, DeliveryLease, Storage};

/// The header carrying the timestamp and the signature.
pub const SIGNATURE_HEADER: &str = "x-placeforte-signature";

/// The first retry's delay: long enough for a receiver restarting, short enough that a person
/// learns of the alert within a minute.
pub const FIRST_BACKOFF: Duration = Duration::seconds(5);

/// The longest delay between two attempts: a receiver down for a day is tried every 15
/// minutes, not once a day.
pub const MAX_BACKOFF: Duration = Duration::minutes(15);

/// How long a claim on outbox rows lasts: longer than a batch of [`DELIVERY_BATCH`] requests
/// of [`REQUEST_TIMEOUT`] each, so a live sender never loses its rows mid-batch, and short
/// enough that the rows of a crashed instance are sent by another within minutes.
pub const LEASE: Duration = Duration::minutes(5);

/// Rows claimed at once.
pub const DELIVERY_BATCH: i64 = 10;

/// How long one POST may take before it counts as failed.
pub const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// Where and how to deliver alerts. `Debug` shows the URL's scheme and host only: its path or
/// query may carry the receiver's own token.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The receiver's URL (`https://…`, or `http://` on the operator's own network).
    pub url: String,
    /// The HMAC key shared with the receiver.
    pub secret: Secret,
    /// How often the outbox is looked at (real time, not business time).
    pub poll_interval: StdDuration,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = reqwest::Url::parse(&self.url)
            .ok()
            .and_then(|url| Some(format!("{}://{}/<redacted>", url.scheme(), url.host_str()?)))
            .unwrap_or_else(|| "<redacted>".to_owned());
        f.debug_struct("WebhookSettings")
            .field("url", &url)
            .field("secret", &self.secret)
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

/// The JSON body of one delivery.
#[derive(Debug, Serialize)]
struct WebhookAlert<'a> {
    alert_id: i64,
    kind: &'a str,
    raised_at: &'a str,
    window_start: &'a str,
    daycare_id: &'a str,
    device_id: &'a str,
    detail: &'a str,
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The delay before attempt `attempts + 1`: [`FIRST_BACKOFF`] doubled per failed attempt,
/// capped at [`MAX_BACKOFF`], then drawn uniformly from its upper half so that instances (and
/// alerts) retrying together spread out. `random` is any `u32`.
pub fn backoff(attempts: i64, random: u32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let full = FIRST_BACKOFF
        .num_milliseconds()
        .saturating_mul(1_i64 << exponent)
        .min(MAX_BACKOFF.num_milliseconds());
    let half = full / 2;
    Duration::milliseconds(half + i64::from(random) % (half + 1))
}

/// Sends due outbox rows until `stopped` says so.
pub async fn run<S: Storage>(
    store: S,
    clock: std::sync::Arc<dyn Clock>,
    settings: WebhookSettings,
    mut stopped: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "the alert webhook client could not be built: no delivery");
            return;
        }
    };
    let sender = Sender {
        store: &store,
        client: &client,
        settings: &settings,
        random: SystemRandom::new(),
    };
    let owner = uuid::Uuid::new_v4().to_string();
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
        let now = clock.now();
        let lease = DeliveryLease {
            owner: owner.clone(),
            until: instant_text(now + LEASE),
            now: instant_text(now),
        };
        let claimed = match store.claim_deliveries(&lease, DELIVERY_BATCH).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "the alert outbox could not be read");
                continue;
            }
        };
        for (alert, attempts) in claimed {
            sender.deliver(&lease, &alert, attempts, now).await;
        }
    }
}

/// What one delivery needs, for the life of [`run`].
struct Sender<'a, S> {
    store: &'a S,
    client: &'a reqwest::Client,
    settings: &'a WebhookSettings,
    random: SystemRandom,
}

impl<S: Storage> Sender<'_, S> {
    /// POSTs one claimed alert and records the outcome in the outbox.
    async fn deliver(
        &self,
        lease: &DeliveryLease,
        alert: &AlertRecord,
        attempts: i64,
        now: DateTime<Utc>,
    ) {
        let outcome = post(self.client, self.settings, alert, now).await;
        let stored = match &outcome {
            Ok(()) => {
                crate::metrics::webhook_delivered();
                tracing::info!(alert_id = alert.id, kind = %alert.kind, "alert delivered to the webhook");
                self.store.delivery_succeeded(alert.id, lease).await
            }
            Err(error) => {
                crate::metrics::webhook_failed();
                let mut bytes = [0_u8; 4];
                let draw = self
                    .random
                    .fill(&mut bytes)
                    .map_or(0, |()| u32::from_le_bytes(bytes));
                let next = now + backoff(attempts, draw);
                tracing::warn!(
                    alert_id = alert.id,
                    kind = %alert.kind,
                    attempts = attempts + 1,
                    next_attempt = %instant_text(next),
                    %error,
                    "alert webhook failed; will retry"
                );
                self.store
                    .delivery_failed(alert.id, lease, &instant_text(next), error)
                    .await
            }
        };
        if let Err(error) = stored {
            tracing::error!(%error, alert_id = alert.id, "the alert outbox could not be updated");
        }
    }
}

async fn post(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    alert: &AlertRecord,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let body = serde_json::to_vec(&WebhookAlert {
        alert_id: alert.id,
        kind: &alert.kind,
        raised_at: &alert.raised_at,
        window_start: &alert.window_start,
        daycare_id: &alert.daycare_id,
        device_id: &alert.device_id,
        detail: &alert.detail,
    })
    .map_err(|e| e.to_string())?;
    let header = signature(settings.secret.expose().as_bytes(), now.timestamp(), &body);
    let response = client
        .post(&settings.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, header)
        .body(body)
        .send()
        .await
        // Without the URL: it may hold a token.
        .map_err(|e| format!("no answer: {}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status().as_u16()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_shows_neither_the_secret_nor_the_urls_path_and_query() {
        let settings = super::WebhookSettings {
            url: "https://alerts.example.net/hooks/t0ken-in-path?key=t0ken-in-query".to_owned(),
            secret: super::Secret::new("hmac-key-value".to_owned()),
            poll_interval: super::StdDuration::from_secs(2),
        };
        let shown = format!("{settings:?}");
        assert!(shown.contains("https://alerts.example.net/"), "{shown}");
        for hidden in ["t0ken-in-path", "t0ken-in-query", "hmac-key-value"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }

    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let one = signature(b"secret", 1_700_000_000, b"{}");
        assert!(one.starts_with("t=1700000000,v1="));
        assert_ne!(one, signature(b"secret", 1_700_000_001, b"{}"));
        assert_ne!(one, signature(b"secret", 1_700_000_000, b"{ }"));
        assert_ne!(one, signature(b"other", 1_700_000_000, b"{}"));
    }

    #[test]
    fn the_backoff_doubles_with_jitter_and_is_capped() {
        assert_eq!(backoff(0, 0), Duration::milliseconds(2_500));
        assert!(backoff(0, u32::MAX) <= FIRST_BACKOFF);
        assert!(backoff(1, 0) >= FIRST_BACKOFF);
        for attempts in [10, 50, i64::MAX] {
            assert!(backoff(attempts, u32::MAX) <= MAX_BACKOFF);
            assert!(backoff(attempts, 0) >= MAX_BACKOFF / 2);
        }
    }
}

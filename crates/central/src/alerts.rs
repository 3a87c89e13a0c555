//! Alerts: what the operator must look at within minutes, not days.
//!
//! Raised on a device over its reveal quota, a burst of reveals far above the device's own
//! history, any request naming a honeytoken registration, and repeated requests for ids that
//! are not the caller's. Each alert is a log line (warn, with
//! `alert=<kind>`) and a row in the `alerts` table (`placeforte-central admin alerts`). An alert
//! is written on its own after the request's transaction: it never blocks the audit write, and a
//! failure to store it is logged, never returned.

use chrono::{DateTime, Duration, Utc};

use crate::audit::instant_text;
use crate::identity::DeviceIdentity;
use crate::store::{AlertRecord, AuditEvent, Storage};

/// Requests for ids that are not the caller's, within [`FOREIGN_ID_WINDOW`], that raise an alert.
pub const FOREIGN_ID_THRESHOLD: i64 = 5;

/// The window [`FOREIGN_ID_THRESHOLD`] counts over.
pub fn foreign_id_window() -> Duration {
    Duration::minutes(10)
}

/// Audit action of a request naming an id that is not referred to the caller.
pub const FOREIGN_ID_ACTION: &str = "referral.not_found";

/// Logs and stores an alert; never fails the request.
pub async fn raise<S: Storage>(
    store: &S,
    kind: &str,
    identity: &DeviceIdentity,
    detail: String,
    now: DateTime<Utc>,
) {
    let device = identity.certificate.device_id.to_string();
    let daycare = identity.certificate.daycare_id.to_string();
    tracing::warn!(alert = kind, %device, %daycare, %detail, "alert raised");
    let record = AlertRecord {
        raised_at: instant_text(now),
        kind: kind.to_owned(),
        device_id: device,
        daycare_id: daycare,
        detail,
    };
    if let Err(error) = store.add_alert(&record).await {
        tracing::error!(%error, alert = kind, "the alert could not be stored (it is in this log)");
    }
}

/// A request named an id that is not referred to the caller: audits it, and alerts on a
/// honeytoken or on repeated attempts. The caller still answers exactly as for a missing id.
pub async fn foreign_id<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    let actor = format!("device:{}", identity.certificate.device_id);
    // Only a well-formed id is recorded: free text from the path never reaches the log.
    let subject =
        uuid::Uuid::try_parse(id).map_or_else(|_| "malformed".to_owned(), |u| u.to_string());
    store
        .record_event(
            &AuditEvent::new(now, actor.clone(), FOREIGN_ID_ACTION, subject.clone())
                .for_daycare(identity.certificate.daycare_id),
        )
        .await?;
    if let Ok(uuid) = uuid::Uuid::try_parse(id) {
        if store.is_honeytoken(uuid).await.unwrap_or(false) {
            raise(
                store,
                "honeytoken_touched",
                identity,
                format!("registration:{uuid}"),
                now,
            )
            .await;
        }
    }
    let since = instant_text(now - foreign_id_window());
    let recent = store
        .recent_actions(&actor, FOREIGN_ID_ACTION, &since)
        .await?;
    if recent == FOREIGN_ID_THRESHOLD {
        raise(
            store,
            "foreign_ids_repeated",
            identity,
            format!("{recent} ids not referred to this daycare in 10 minutes"),
            now,
        )
        .await;
    }
    Ok(())
}

/// Reveals within an hour that, far above the device's own weekly rhythm, raise an alert.
pub const REVEAL_BURST_PER_HOUR: i64 = 20;

/// After a reveal: alerts once when the device's last hour reaches [`REVEAL_BURST_PER_HOUR`]
/// and is more than five times its hourly average over the week before.
pub async fn after_reveal<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    let actor = format!("device:{}", identity.certificate.device_id);
    let last_hour = store
        .recent_actions(
            &actor,
            "contact.revealed",
            &instant_text(now - Duration::hours(1)),
        )
        .await?;
    if last_hour != REVEAL_BURST_PER_HOUR {
        return Ok(());
    }
    let week = store
        .recent_actions(
            &actor,
            "contact.revealed",
            &instant_text(now - Duration::days(7)),
        )
        .await?;
    let hourly_before = (week - last_hour) / (7 * 24 - 1);
    if last_hour > 5 * hourly_before.max(1) {
        raise(
            store,
            "reveal_rate_abnormal",
            identity,
            format!("{last_hour} reveals in the last hour; weekly hourly average {hourly_before}"),
            now,
        )
        .await;
    }
    Ok(())
}

//! Which notifications were shown, so that each is shown once (see [`crate::notice`]).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::Cache;
use crate::cliffs::{self, Cliff, CliffKind};
use crate::notice::{decide, NoticeKind, Notices};
use crate::DeskError;

impl Cache {
    /// The notices due at `now`, remembered as shown (once per referral and kind).
    pub async fn notices_due(&self, now: DateTime<Utc>) -> Result<Notices, DeskError> {
        let referrals = self.referral_views().await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT referral_id, kind FROM notice_shown")
                .fetch_all(&self.pool)
                .await?;
        let shown = rows
            .iter()
            .map(|(id, kind)| {
                let id = id.parse().map_err(|_| DeskError::CacheUnreadable)?;
                let kind = NoticeKind::from_code(kind).ok_or(DeskError::CacheUnreadable)?;
                Ok((id, kind))
            })
            .collect::<Result<HashSet<_>, DeskError>>()?;
        let notices = decide(&referrals, &shown, now);
        let mut tx = self.pool.begin().await?;
        for (id, kind) in &notices.shown {
            sqlx::query("INSERT OR IGNORE INTO notice_shown (referral_id, kind) VALUES (?, ?)")
                .bind(id.to_string())
                .bind(kind.code())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(notices)
    }
}

impl Cache {
    /// The warnings before `ahead`'s cliffs due at `now` and not notified yet, remembered as
    /// notified (once per cliff instant and threshold).
    pub async fn cliff_notices_due(
        &self,
        ahead: &[Cliff],
        now: DateTime<Utc>,
    ) -> Result<Vec<Cliff>, DeskError> {
        let rows: Vec<(String, DateTime<Utc>, i64)> =
            sqlx::query_as("SELECT kind, cliff_at, threshold_days FROM cliff_notice_shown")
                .fetch_all(&self.pool)
                .await?;
        let shown = rows
            .into_iter()
            .filter_map(|(kind, at, days)| {
                let kind = [CliffKind::CertificateExpiry, CliffKind::OfflinePeriodEnd]
                    .into_iter()
                    .find(|k| k.code() == kind)?;
                Some(((kind, at), days))
            })
            .collect::<HashSet<_>>();
        let due: Vec<(Cliff, i64)> = cliffs::notices_due(ahead, &HashSet::new(), now)
            .into_iter()
            .filter(|(cliff, days)| !shown.contains(&((cliff.kind, cliff.at), *days)))
            .collect();
        let mut tx = self.pool.begin().await?;
        for (cliff, days) in &due {
            sqlx::query(
                "INSERT OR IGNORE INTO cliff_notice_shown (kind, cliff_at, threshold_days) \
                 VALUES (?, ?, ?)",
            )
            .bind(cliff.kind.code())
            .bind(cliff.at)
            .bind(days)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(due.into_iter().map(|(cliff, _)| cliff).collect())
    }
}

//! Vacancy declarations made on this workstation: kept in the cache with their outbox entry,
//! so a director can declare offline and see what was declared and what the service answered.
//!
//! A vacancy holds no personal data (an age class, places, a start date, the daycare's own
//! group label), which is why it may stay in the cache with the rest.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{quebec_rules_on, AgeClass};
use placeforte_protocol::checks::check_vacancy;
use placeforte_protocol::referrals::{DeclareVacancy, VacancyDeclared};
use placeforte_protocol::VacancyId;
use serde::Serialize;
use sqlx::Row as _;

use super::outbox::set_sent;
use super::{Cache, OutboxState};
use crate::error::DeskError;

/// What the director declares: places of one age class free from a start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VacancyDeclaration {
    /// The age class of the places.
    pub age_class: AgeClass,
    /// How many places.
    pub places: u32,
    /// The first day of the places.
    pub start_date: NaiveDate,
    /// The daycare's own name for the group, if any.
    pub group_label: Option<String>,
}

impl VacancyDeclaration {
    /// The checks the service makes, made here too so an offline declaration that could
    /// never be accepted is refused at once rather than turning into a conflict later.
    fn check(&self, now: DateTime<Utc>) -> Result<(), DeskError> {
        Ok(check_vacancy(
            self.places,
            self.start_date,
            self.group_label.as_deref(),
            now,
            quebec_rules_on(now.date_naive()),
        )?)
    }
}

/// A declaration made here, with where it stands and, once sent, the service's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalVacancy {
    /// Its place in the outbox's order.
    pub seq: i64,
    /// Its id on this workstation.
    pub local_id: uuid::Uuid,
    /// Sent with every attempt: the service declares it once.
    pub idempotency_key: uuid::Uuid,
    /// What was declared.
    pub declaration: VacancyDeclaration,
    /// When the director declared it.
    pub created_at: DateTime<Utc>,
    /// Pending, sent or conflict (with the service's code).
    pub state: OutboxState,
    /// The service's vacancy, once sent.
    pub vacancy_id: Option<VacancyId>,
    /// Referrals the service made for it, once sent.
    pub referrals: Option<u32>,
    /// The day referred families must answer by, once sent.
    pub answer_by: Option<NaiveDate>,
}

impl LocalVacancy {
    /// The request that declares it (the same on every attempt).
    pub fn request(&self) -> DeclareVacancy {
        DeclareVacancy {
            idempotency_key: self.idempotency_key,
            age_class: self.declaration.age_class,
            places: self.declaration.places,
            start_date: self.declaration.start_date,
            group_label: self.declaration.group_label.clone(),
        }
    }
}

impl Cache {
    /// Stores a declaration to send, with a fresh idempotency key, in the outbox's order
    /// (works offline). A declaration the service would refuse is refused here.
    pub async fn queue_vacancy(
        &self,
        declaration: VacancyDeclaration,
        now: DateTime<Utc>,
    ) -> Result<LocalVacancy, DeskError> {
        declaration.check(now)?;
        let mut tx = self.pool.begin().await?;
        let queued = insert_vacancy(&mut tx, declaration, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Stores several declarations in one transaction: all are queued, or none (each is
    /// checked first, like [`Cache::queue_vacancy`]).
    pub async fn queue_vacancies(
        &self,
        declarations: Vec<VacancyDeclaration>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalVacancy>, DeskError> {
        for declaration in &declarations {
            declaration.check(now)?;
        }
        let mut tx = self.pool.begin().await?;
        let mut queued = Vec::with_capacity(declarations.len());
        for declaration in declarations {
            queued.push(insert_vacancy(&mut tx, declaration, now).await?);
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Every declaration made here, oldest first.
    pub async fn vacancies(&self) -> Result<Vec<LocalVacancy>, DeskError> {
        self.vacancies_where("1 = 1").await
    }

    pub(super) async fn vacancies_where(
        &self,
        condition: &'static str,
    ) -> Result<Vec<LocalVacancy>, DeskError> {
        let rows = sqlx::query(&format!(
            "SELECT o.seq, o.idempotency_key, o.state, o.conflict_code, v.local_id, \
             v.age_class, v.places, v.start_date, v.group_label, v.created_at, v.vacancy_id, \
             v.referrals, v.answer_by \
             FROM outbox o JOIN vacancy v ON v.local_id = o.vacancy_local_id \
             WHERE o.kind = 'vacancy' AND {condition} ORDER BY o.seq"
        ))
        .fetch_all(&self.pool)
        .await?;
        let corrupt = |_| DeskError::CacheUnreadable;
        rows.iter()
            .map(|row| {
                let text = |column: &str| row.try_get::<String, _>(column);
                let vacancy_id: Option<String> = row.try_get("vacancy_id")?;
                let referrals: Option<u32> = row.try_get("referrals")?;
                Ok(LocalVacancy {
                    seq: row.try_get("seq")?,
                    local_id: text("local_id")?.parse().map_err(corrupt)?,
                    idempotency_key: text("idempotency_key")?.parse().map_err(corrupt)?,
                    declaration: VacancyDeclaration {
                        age_class: AgeClass::from_code(&text("age_class")?)
                            .map_err(|_| DeskError::CacheUnreadable)?,
                        places: row.try_get("places")?,
                        start_date: row.try_get("start_date")?,
                        group_label: row.try_get("group_label")?,
                    },
                    created_at: row.try_get("created_at")?,
                    state: OutboxState::from_columns(
                        &text("state")?,
                        row.try_get("conflict_code")?,
                    ),
                    vacancy_id: vacancy_id
                        .map(|id| id.parse())
                        .transpose()
                        .map_err(|_| DeskError::CacheUnreadable)?,
                    referrals,
                    answer_by: row.try_get("answer_by")?,
                })
            })
            .collect()
    }

    /// Marks a declaration acknowledged and keeps the service's answer, in one transaction.
    pub async fn mark_vacancy_sent(
        &self,
        seq: i64,
        declared: &VacancyDeclared,
    ) -> Result<(), DeskError> {
        let mut tx = self.pool.begin().await?;
        set_sent(&mut tx, seq).await?;
        sqlx::query(
            "UPDATE vacancy SET vacancy_id = ?, referrals = ?, answer_by = ? WHERE local_id = \
             (SELECT vacancy_local_id FROM outbox WHERE seq = ?)",
        )
        .bind(declared.vacancy_id.to_string())
        .bind(declared.referrals)
        .bind(declared.answer_by)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Stores a checked declaration and its outbox entry in `tx`, with a fresh idempotency key.
async fn insert_vacancy(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    declaration: VacancyDeclaration,
    now: DateTime<Utc>,
) -> Result<LocalVacancy, DeskError> {
    let local_id = uuid::Uuid::new_v4();
    let key = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO vacancy (local_id, age_class, places, start_date, group_label, \
             created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(local_id.to_string())
    .bind(declaration.age_class.code())
    .bind(declaration.places)
    .bind(declaration.start_date)
    .bind(declaration.group_label.as_deref())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (idempotency_key, kind, vacancy_local_id, created_at, state) \
             VALUES (?, 'vacancy', ?, ?, 'pending') RETURNING seq",
    )
    .bind(key.to_string())
    .bind(local_id.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(LocalVacancy {
        seq,
        local_id,
        idempotency_key: key,
        declaration,
        created_at: now,
        state: OutboxState::Pending,
        vacancy_id: None,
        referrals: None,
        answer_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheFile;
    use crate::secret::CacheKey;
    use placeforte_protocol::referrals::MAX_GROUP_LABEL_CHARS;

    #[tokio::test]
    async fn a_declaration_the_service_would_refuse_is_refused_and_nothing_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheFile::new(dir.path().join("cache.sqlite"))
            .open(&CacheKey::generate().unwrap())
            .await
            .unwrap();
        let now = NaiveDate::from_ymd_opt(2026, 6, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            .and_utc();
        let good = VacancyDeclaration {
            age_class: AgeClass::Under18Months,
            places: 3,
            start_date: now.date_naive(),
            group_label: Some("Les Poussins".into()),
        };
        let bad = [
            VacancyDeclaration {
                places: 0,
                ..good.clone()
            },
            VacancyDeclaration {
                places: 101,
                ..good.clone()
            },
            VacancyDeclaration {
                start_date: now.date_naive().pred_opt().unwrap(),
                ..good.clone()
            },
            VacancyDeclaration {
                group_label: Some("x".repeat(MAX_GROUP_LABEL_CHARS + 1)),
                ..good.clone()
            },
            VacancyDeclaration {
                group_label: Some("a\u{7}b".into()),
                ..good.clone()
            },
        ];
        for declaration in bad {
            let err = cache
                .queue_vacancy(declaration.clone(), now)
                .await
                .unwrap_err();
            assert_eq!(err.code(), "invalid_vacancy", "{declaration:?}");
        }
        assert!(cache.vacancies().await.unwrap().is_empty());
        assert!(cache.pending_outbox().await.unwrap().is_empty());

        let queued = cache.queue_vacancy(good.clone(), now).await.unwrap();
        assert_eq!(cache.vacancies().await.unwrap(), vec![queued.clone()]);
        // At 02:00 UTC on June 2 it is 22:00 on June 1 in Québec: June 1 is still today.
        let quebec_evening = now + chrono::Duration::hours(17);
        cache
            .queue_vacancy(good.clone(), quebec_evening)
            .await
            .unwrap();
        assert_eq!(queued.declaration, good);
        assert_eq!(queued.request().idempotency_key, queued.idempotency_key);
        assert_eq!(
            queued.request().group_label.as_deref(),
            Some("Les Poussins")
        );
    }
}

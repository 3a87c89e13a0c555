//! The SQL shared by both backends, expanded once per backend by [`impl_storage!`].
//!
//! A macro rather than code generic over `sqlx::Database`: the generic form needs a bound for
//! every type bound in every query, which hides the SQL behind trait noise. The macro keeps one
//! copy of each statement and lets each backend check its own types.

/// Rows per multi-row INSERT when seeding (18 columns: well under both backends' bind limits).
pub(crate) const SEED_ROWS_PER_STATEMENT: usize = 1_000;

macro_rules! impl_storage {
    ($store:ty, $db:ty) => {
        impl $crate::store::Storage for $store {
            async fn add_daycare(
                &self,
                daycare: &$crate::store::DaycareRecord,
                event: &$crate::store::AuditEvent,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                insert_daycares(&mut tx, std::slice::from_ref(daycare)).await?;
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn daycares(
                &self,
            ) -> Result<Vec<$crate::store::DaycareRecord>, $crate::store::StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT id, name, region, places_under_18_months, places_18_months_to_4_years,",
                    " places_four_years, places_five_and_over, created_at FROM daycares",
                    " ORDER BY name, id"
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(daycare_from_row).collect()
            }

            async fn daycare(
                &self,
                id: placeforte_protocol::DaycareId,
            ) -> Result<Option<$crate::store::DaycareRecord>, $crate::store::StoreError> {
                let row = sqlx::query(concat!(
                    "SELECT id, name, region, places_under_18_months, places_18_months_to_4_years,",
                    " places_four_years, places_five_and_over, created_at FROM daycares WHERE id = $1"
                ))
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(daycare_from_row).transpose()
            }

            async fn add_enrolment_code(
                &self,
                code: &$crate::store::EnrolmentCodeRecord,
                event: &$crate::store::AuditEvent,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO enrolment_codes (code_sha256, daycare_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(code.code_sha256.as_slice())
                .bind(code.daycare_id.as_uuid())
                .bind(code.issued_at)
                .bind(code.expires_at)
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn enrol_device(
                &self,
                code_sha256: &[u8],
                now: chrono::DateTime<chrono::Utc>,
                device: &$crate::store::DeviceRecord,
                certificate: &$crate::store::IssuedCertificate,
                event: &$crate::store::AuditEvent,
            ) -> Result<bool, $crate::store::StoreError> {
                use sqlx::Row as _;
                let mut tx = self.pool.begin().await?;
                // Claiming the code first takes the row (PostgreSQL) or the write lock (SQLite),
                // so two concurrent enrolments with one code cannot both pass.
                let claimed = sqlx::query(
                    "UPDATE enrolment_codes SET used_at = $1 WHERE code_sha256 = $2 AND used_at IS NULL RETURNING daycare_id, expires_at",
                )
                .bind(now)
                .bind(code_sha256)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(claimed) = claimed else {
                    tx.rollback().await?;
                    return Ok(false);
                };
                let code_daycare: uuid::Uuid = claimed.try_get("daycare_id")?;
                let expires_at: chrono::DateTime<chrono::Utc> = claimed.try_get("expires_at")?;
                if code_daycare != device.daycare_id.as_uuid() || now >= expires_at {
                    // Rolled back: a refused attempt neither consumes the code nor writes.
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query("INSERT INTO devices (id, daycare_id, enrolled_at, revoked_at) VALUES ($1, $2, $3, NULL)")
                    .bind(device.id.as_uuid())
                    .bind(device.daycare_id.as_uuid())
                    .bind(device.enrolled_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE enrolment_codes SET used_by_device = $1 WHERE code_sha256 = $2")
                    .bind(device.id.as_uuid())
                    .bind(code_sha256)
                    .execute(&mut *tx)
                    .await?;
                insert_certificate(&mut tx, certificate).await?;
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn device(
                &self,
                id: placeforte_protocol::DeviceId,
            ) -> Result<Option<$crate::store::DeviceRecord>, $crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT id, daycare_id, enrolled_at, revoked_at FROM devices WHERE id = $1",
                )
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(device_from_row).transpose()
            }

            async fn devices(
                &self,
            ) -> Result<Vec<$crate::store::DeviceRecord>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT id, daycare_id, enrolled_at, revoked_at FROM devices ORDER BY enrolled_at, id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(device_from_row).collect()
            }

            async fn revoke_device(
                &self,
                id: placeforte_protocol::DeviceId,
                now: chrono::DateTime<chrono::Utc>,
                event: &$crate::store::AuditEvent,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(
                    "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn add_renewed_certificate(
                &self,
                certificate: &$crate::store::IssuedCertificate,
                event: &$crate::store::AuditEvent,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                // Touching the device row first serializes renewal against revocation.
                let active = sqlx::query(
                    "UPDATE devices SET enrolled_at = enrolled_at WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(certificate.device_id.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if active == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                insert_certificate(&mut tx, certificate).await?;
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoked_certificates(
                &self,
            ) -> Result<Vec<$crate::store::RevokedCertificate>, $crate::store::StoreError> {
                use sqlx::Row as _;
                let rows = sqlx::query(concat!(
                    "SELECT c.serial_hex, d.revoked_at, c.not_after FROM device_certificates c",
                    " JOIN devices d ON d.id = c.device_id WHERE d.revoked_at IS NOT NULL",
                    " ORDER BY c.serial_hex"
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::store::RevokedCertificate {
                            serial_hex: row.try_get("serial_hex")?,
                            revoked_at: row.try_get("revoked_at")?,
                            not_after: row.try_get("not_after")?,
                        })
                    })
                    .collect()
            }

            async fn record_event(
                &self,
                event: &$crate::store::AuditEvent,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_entry_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn audit_tip(&self) -> Result<Option<(i64, Vec<u8>)>, $crate::store::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn audit_entries(
                &self,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<$crate::audit::AuditEntry>, $crate::store::StoreError> {
                // Each backend reads the chain its fastest way (see `audit_page` there).
                audit_page(&self.pool, after_seq, limit).await
            }

            async fn audit_checkpoints(
                &self,
            ) -> Result<Vec<$crate::audit::Checkpoint>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, entry_hash, signed_at, signature FROM audit_checkpoints ORDER BY seq",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(checkpoint_from_row).collect()
            }

            async fn last_audit_checkpoint(
                &self,
            ) -> Result<Option<$crate::audit::Checkpoint>, $crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT seq, entry_hash, signed_at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(checkpoint_from_row).transpose()
            }

            async fn add_audit_checkpoint(
                &self,
                checkpoint: &$crate::audit::Checkpoint,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO audit_checkpoints (seq, entry_hash, signed_at, signature) VALUES ($1, $2, $3, $4)",
                )
                .bind(checkpoint.seq)
                .bind(checkpoint.entry_hash.as_slice())
                .bind(checkpoint.signed_at.as_str())
                .bind(checkpoint.signature.as_slice())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn insert_seed(
                &self,
                batch: &$crate::store::SeedBatch,
                event: &$crate::store::AuditEvent,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for chunk in batch.daycares.chunks($crate::store::sql::SEED_ROWS_PER_STATEMENT) {
                    insert_daycares(&mut tx, chunk).await?;
                }
                for chunk in batch
                    .registrations
                    .chunks($crate::store::sql::SEED_ROWS_PER_STATEMENT)
                {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO registrations (id, child_given_name, child_family_name,",
                        " birth_date, desired_entry_date, registered_on, region, address_key,",
                        " parent_given_name, parent_family_name, parent_phone, parent_email,",
                        " staff_member_child, same_address_as_admitted_child,",
                        " already_in_subsidized_care, special_needs, socio_economic_precarity,",
                        " parent_in_education) "
                    ));
                    insert.push_values(chunk, |mut row, r| {
                        row.push_bind(r.id.as_uuid())
                            .push_bind(r.child_given_name.as_str())
                            .push_bind(r.child_family_name.as_str())
                            .push_bind(r.birth_date)
                            .push_bind(r.desired_entry_date)
                            .push_bind(r.registered_on)
                            .push_bind(r.region.as_str())
                            .push_bind(r.address_key.as_str())
                            .push_bind(r.parent_given_name.as_str())
                            .push_bind(r.parent_family_name.as_str())
                            .push_bind(r.parent_phone.as_str())
                            .push_bind(r.parent_email.as_str())
                            .push_bind(r.facts.staff_member_child)
                            .push_bind(r.facts.same_address_as_admitted_child)
                            .push_bind(r.facts.already_in_subsidized_care)
                            .push_bind(r.priority.special_needs)
                            .push_bind(r.priority.socio_economic_precarity)
                            .push_bind(r.priority.parent_in_education);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                // Three columns: more rows per statement keep the round trips down.
                for chunk in batch
                    .choices
                    .chunks($crate::store::sql::SEED_ROWS_PER_STATEMENT * 5)
                {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO registration_choices (registration_id, daycare_id, preference) ",
                    );
                    insert.push_values(chunk, |mut row, c| {
                        row.push_bind(c.registration_id.as_uuid())
                            .push_bind(c.daycare_id.as_uuid())
                            .push_bind(c.preference);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                for chunk in batch
                    .honeytokens
                    .chunks($crate::store::sql::SEED_ROWS_PER_STATEMENT)
                {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO honeytoken_registrations (registration_id) ",
                    );
                    insert.push_values(chunk, |mut row, id| {
                        row.push_bind(id.as_uuid());
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                insert_event(&mut tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn declare_vacancy<F>(
                &self,
                vacancy: &$crate::store::VacancyRecord,
                key: uuid::Uuid,
                request: &str,
                plan: F,
            ) -> Result<$crate::store::DeclarationResult, $crate::store::StoreError>
            where
                F: FnOnce(Vec<$crate::store::CandidateRecord>) -> $crate::store::DeclarationPlan
                    + Send,
            {
                use $crate::store::DeclarationResult;
                use sqlx::Row as _;
                let mut tx = self.pool.begin().await?;
                // The audit head's lock first: declarations and outcomes run one at a time, so
                // the candidates read here are still free when the referrals are written, and
                // two retries of one declaration cannot both miss its key.
                sqlx::query("UPDATE audit_head SET appends = appends WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let known = sqlx::query(concat!(
                    "SELECT request, response FROM vacancy_requests",
                    " WHERE daycare_id = $1 AND idempotency_key = $2"
                ))
                .bind(vacancy.daycare_id.as_uuid())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(known) = known {
                    let stored: String = known.try_get("request")?;
                    tx.rollback().await?;
                    return Ok(if stored == request {
                        DeclarationResult::Replayed(known.try_get("response")?)
                    } else {
                        DeclarationResult::KeyReused
                    });
                }
                let candidates =
                    load_candidates(&mut *tx, vacancy.daycare_id, vacancy.id).await?;
                let $crate::store::DeclarationPlan { referrals, event, response } =
                    plan(candidates);
                let places = i32::try_from(vacancy.places).map_err(|_| {
                    $crate::store::StoreError::Corrupt("places out of range".to_owned())
                })?;
                sqlx::query(concat!(
                    "INSERT INTO vacancies (id, daycare_id, age_class, places, start_date,",
                    " group_label, declared_at, declared_by_device)",
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(vacancy.id.as_uuid())
                .bind(vacancy.daycare_id.as_uuid())
                .bind(vacancy.age_class.code())
                .bind(places)
                .bind(vacancy.start_date)
                .bind(vacancy.group_label.as_deref())
                .bind(vacancy.declared_at)
                .bind(vacancy.declared_by.as_uuid())
                .execute(&mut *tx)
                .await?;
                let change_seq = insert_event(&mut tx, &event).await?;
                insert_referrals(&mut tx, &referrals, change_seq).await?;
                sqlx::query(concat!(
                    "INSERT INTO vacancy_requests (daycare_id, idempotency_key, vacancy_id,",
                    " request, response, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(vacancy.daycare_id.as_uuid())
                .bind(key)
                .bind(vacancy.id.as_uuid())
                .bind(request)
                .bind(response.as_str())
                .bind(vacancy.declared_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(DeclarationResult::Declared(response))
            }

            async fn known_declaration(
                &self,
                daycare: placeforte_protocol::DaycareId,
                key: uuid::Uuid,
            ) -> Result<Option<(String, String)>, $crate::store::StoreError> {
                Ok(sqlx::query_as(concat!(
                    "SELECT request, response FROM vacancy_requests",
                    " WHERE daycare_id = $1 AND idempotency_key = $2"
                ))
                .bind(daycare.as_uuid())
                .bind(key)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn vacancy_referrals(
                &self,
                vacancy: placeforte_protocol::VacancyId,
            ) -> Result<Vec<$crate::store::ReferralRecord>, $crate::store::StoreError> {
                use sqlx::Row as _;
                let rows = sqlx::query(concat!(
                    "SELECT id, vacancy_id, daycare_id, registration_id, status, rank, rank_reason,",
                    " answer_by, referred_at FROM referrals WHERE vacancy_id = $1 ORDER BY rank"
                ))
                .bind(vacancy.as_uuid())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let rank: i32 = row.try_get("rank")?;
                        Ok($crate::store::ReferralRecord {
                            id: placeforte_protocol::ReferralId::from_uuid(row.try_get("id")?),
                            vacancy_id: placeforte_protocol::VacancyId::from_uuid(
                                row.try_get("vacancy_id")?,
                            ),
                            daycare_id: placeforte_protocol::DaycareId::from_uuid(
                                row.try_get("daycare_id")?,
                            ),
                            registration_id: placeforte_protocol::RegistrationId::from_uuid(
                                row.try_get("registration_id")?,
                            ),
                            status: row.try_get("status")?,
                            rank: u32::try_from(rank).map_err(|_| {
                                $crate::store::StoreError::Corrupt("negative rank".to_owned())
                            })?,
                            rank_reason: row.try_get("rank_reason")?,
                            answer_by: row.try_get("answer_by")?,
                            referred_at: row.try_get("referred_at")?,
                        })
                    })
                    .collect()
            }

            async fn sync_referrals<F>(
                &self,
                daycare: placeforte_protocol::DaycareId,
                after: (i64, uuid::Uuid),
                limit: i64,
                event: F,
            ) -> Result<(Vec<$crate::store::ReferralSyncRow>, u64), $crate::store::StoreError>
            where
                F: FnOnce(&[$crate::store::ReferralSyncRow]) -> $crate::store::AuditEvent + Send,
            {
                // Most syncs find nothing new: they read without taking the audit lock. A page
                // with personal data is read again inside the transaction that audits it.
                let peek = sync_page(&self.pool, daycare, after, 1).await?;
                if peek.is_empty() {
                    return Ok((peek, 0));
                }
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE audit_head SET appends = appends WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let page = sync_page(&mut *tx, daycare, after, limit).await?;
                let last = page.last().map_or(after, |row| (row.change_seq, row.id.as_uuid()));
                // The same range condition on the same index, counted: no personal data read.
                let remaining: i64 = sqlx::query_scalar(concat!(
                    "SELECT COUNT(*) FROM referrals f",
                    " WHERE f.daycare_id = $1 AND (f.change_seq, f.id) > ($2, $3)"
                ))
                .bind(daycare.as_uuid())
                .bind(last.0)
                .bind(last.1)
                .fetch_one(&mut *tx)
                .await?;
                insert_event(&mut tx, &event(&page)).await?;
                tx.commit().await?;
                Ok((page, u64::try_from(remaining).unwrap_or(0)))
            }

            async fn waiting_for(
                &self,
                daycare: placeforte_protocol::DaycareId,
            ) -> Result<Vec<(chrono::NaiveDate, chrono::NaiveDate)>, $crate::store::StoreError> {
                Ok(sqlx::query_as(concat!(
                    "SELECT r.birth_date, r.desired_entry_date",
                    " FROM registration_choices c JOIN registrations r ON r.id = c.registration_id",
                    " LEFT JOIN registration_states s ON s.registration_id = r.id",
                    " WHERE c.daycare_id = $1 AND (s.status IS NULL OR s.status = 'waiting')",
                    " AND NOT EXISTS (SELECT 1 FROM honeytoken_registrations h",
                    "   WHERE h.registration_id = r.id)"
                ))
                .bind(daycare.as_uuid())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_outcome(
                &self,
                request: &$crate::store::OutcomeRequest,
            ) -> Result<$crate::store::OutcomeResult, $crate::store::StoreError> {
                use $crate::store::OutcomeResult;
                use placeforte_domain::{OfferOutcome, RegistrationStatus};
                use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
                use sqlx::Row as _;
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE audit_head SET appends = appends WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let known = sqlx::query(concat!(
                    "SELECT referral_id, response FROM outcome_requests",
                    " WHERE daycare_id = $1 AND idempotency_key = $2"
                ))
                .bind(request.daycare_id.as_uuid())
                .bind(request.idempotency_key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(known) = known {
                    let referral: uuid::Uuid = known.try_get("referral_id")?;
                    tx.rollback().await?;
                    return Ok(if referral == request.referral_id.as_uuid() {
                        OutcomeResult::Replayed(known.try_get("response")?)
                    } else {
                        OutcomeResult::KeyReused
                    });
                }
                let referral = sqlx::query(concat!(
                    "SELECT vacancy_id, registration_id, status FROM referrals",
                    " WHERE id = $1 AND daycare_id = $2"
                ))
                .bind(request.referral_id.as_uuid())
                .bind(request.daycare_id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(referral) = referral else {
                    tx.rollback().await?;
                    return Ok(OutcomeResult::NotFound);
                };
                let vacancy = placeforte_protocol::VacancyId::from_uuid(referral.try_get("vacancy_id")?);
                let registration =
                    placeforte_protocol::RegistrationId::from_uuid(referral.try_get("registration_id")?);
                let status: String = referral.try_get("status")?;
                if status != ReferralStatus::Open.code() {
                    tx.rollback().await?;
                    return Ok(OutcomeResult::Closed);
                }
                let state_row = sqlx::query(
                    "SELECT status, missed_deadlines FROM registration_states WHERE registration_id = $1",
                )
                .bind(registration.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
                let state = match state_row {
                    None => placeforte_domain::RegistrationState::NEW,
                    Some(row) => {
                        let code: String = row.try_get("status")?;
                        let missed: i32 = row.try_get("missed_deadlines")?;
                        placeforte_domain::RegistrationState {
                            status: $crate::referrals::registration_status_from_code(&code)
                                .ok_or_else(|| $crate::store::StoreError::Corrupt("registration status".to_owned()))?,
                            missed_deadlines: u32::try_from(missed).unwrap_or(0),
                        }
                    }
                };
                let Ok((new_state, _effect)) = placeforte_domain::apply_outcome(
                    state,
                    request.outcome,
                    placeforte_domain::quebec_rules_on(request.now.date_naive()),
                ) else {
                    tx.rollback().await?;
                    return Ok(OutcomeResult::Closed);
                };
                let referral_status = match request.outcome {
                    OfferOutcome::Accepted => ReferralStatus::Accepted,
                    OfferOutcome::Refused { .. } => ReferralStatus::Refused,
                    OfferOutcome::NoAnswerByDeadline => ReferralStatus::NoAnswer,
                };
                // A placed or withdrawn child leaves every other pool.
                let mut closing = Vec::new();
                let mut vacancies = vec![vacancy];
                if matches!(new_state.status, RegistrationStatus::Placed | RegistrationStatus::Withdrawn) {
                    for row in sqlx::query(
                        "SELECT id, vacancy_id FROM referrals WHERE registration_id = $1 AND status = 'open' AND id <> $2",
                    )
                    .bind(registration.as_uuid())
                    .bind(request.referral_id.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?
                    {
                        closing.push(placeforte_protocol::ReferralId::from_uuid(row.try_get("id")?));
                        let other = placeforte_protocol::VacancyId::from_uuid(row.try_get("vacancy_id")?);
                        if !vacancies.contains(&other) {
                            vacancies.push(other);
                        }
                    }
                }
                let mut this_and_closing = closing.clone();
                this_and_closing.push(request.referral_id);
                // Further referrals for places left open here and where the child was closed out.
                let mut further = Vec::new();
                let accepted = (referral_status == ReferralStatus::Accepted)
                    .then_some(request.referral_id);
                for v in vacancies {
                    further.extend(
                        top_up(&mut tx, v, registration, &this_and_closing, accepted, request.now)
                            .await?,
                    );
                }
                let mut event = $crate::store::AuditEvent::new(
                    request.now,
                    format!("device:{}", request.device_id),
                    "referral.outcome",
                    format!("referral:{}", request.referral_id),
                )
                .for_daycare(request.daycare_id);
                event.reason = Some($crate::referrals::outcome_code(request.outcome));
                event.referral_ids = std::iter::once(request.referral_id)
                    .chain(closing.iter().copied())
                    .chain(further.iter().map(|r| r.id))
                    .collect();
                let change_seq = insert_event(&mut tx, &event).await?;
                sqlx::query("UPDATE referrals SET status = $1, change_seq = $2 WHERE id = $3")
                    .bind(referral_status.code())
                    .bind(change_seq)
                    .bind(request.referral_id.as_uuid())
                    .execute(&mut *tx)
                    .await?;
                for id in &closing {
                    sqlx::query("UPDATE referrals SET status = 'closed', change_seq = $1 WHERE id = $2")
                        .bind(change_seq)
                        .bind(id.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(concat!(
                    "INSERT INTO registration_states (registration_id, status, missed_deadlines)",
                    " VALUES ($1, $2, $3) ON CONFLICT (registration_id) DO UPDATE",
                    " SET status = excluded.status, missed_deadlines = excluded.missed_deadlines"
                ))
                .bind(registration.as_uuid())
                .bind($crate::referrals::registration_status_code(new_state.status))
                .bind(i32::try_from(new_state.missed_deadlines).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
                insert_referrals(&mut tx, &further, change_seq).await?;
                let response = serde_json::to_string(&OutcomeRecorded {
                    referral_id: request.referral_id,
                    status: referral_status,
                    further_referrals: u32::try_from(further.len()).unwrap_or(u32::MAX),
                })
                .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?;
                sqlx::query(concat!(
                    "INSERT INTO outcome_requests (daycare_id, idempotency_key, referral_id,",
                    " response, recorded_at) VALUES ($1, $2, $3, $4, $5)"
                ))
                .bind(request.daycare_id.as_uuid())
                .bind(request.idempotency_key)
                .bind(request.referral_id.as_uuid())
                .bind(response.as_str())
                .bind(request.now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(OutcomeResult::Recorded(response))
            }

            async fn reveal_contact(
                &self,
                request: &$crate::store::RevealRequest,
            ) -> Result<$crate::store::RevealResult, $crate::store::StoreError> {
                use $crate::store::RevealResult;
                use sqlx::Row as _;
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE audit_head SET appends = appends WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let referral = sqlx::query(
                    "SELECT registration_id, status FROM referrals WHERE id = $1 AND daycare_id = $2",
                )
                .bind(request.referral_id.as_uuid())
                .bind(request.daycare_id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(referral) = referral else {
                    tx.rollback().await?;
                    return Ok(RevealResult::NotFound);
                };
                let status: String = referral.try_get("status")?;
                if status != "open" {
                    tx.rollback().await?;
                    return Ok(RevealResult::Closed);
                }
                let registration: uuid::Uuid = referral.try_get("registration_id")?;
                let day_start = request
                    .now
                    .date_naive()
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc())
                    .unwrap_or(request.now);
                let today: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM contact_reveals WHERE device_id = $1 AND revealed_at >= $2",
                )
                .bind(request.device_id.as_uuid())
                .bind(day_start)
                .fetch_one(&mut *tx)
                .await?;
                let mut event = $crate::store::AuditEvent::new(
                    request.now,
                    format!("device:{}", request.device_id),
                    "contact.revealed",
                    format!("referral:{}", request.referral_id),
                )
                .for_daycare(request.daycare_id);
                event.referral_ids = vec![request.referral_id];
                event.reason = Some(request.reason.clone());
                if today >= i64::from(request.daily_quota) {
                    event.action = "contact.refused_over_quota".to_owned();
                    insert_event(&mut tx, &event).await?;
                    tx.commit().await?;
                    return Ok(RevealResult::OverQuota);
                }
                let row = sqlx::query(concat!(
                    "SELECT id, child_given_name, child_family_name, birth_date, desired_entry_date,",
                    " registered_on, region, address_key, parent_given_name, parent_family_name,",
                    " parent_phone, parent_email, staff_member_child, same_address_as_admitted_child,",
                    " already_in_subsidized_care, special_needs, socio_economic_precarity,",
                    " parent_in_education FROM registrations WHERE id = $1"
                ))
                .bind(registration)
                .fetch_one(&mut *tx)
                .await?;
                let record = $crate::store::RegistrationRecord {
                    id: placeforte_protocol::RegistrationId::from_uuid(row.try_get("id")?),
                    child_given_name: row.try_get("child_given_name")?,
                    child_family_name: row.try_get("child_family_name")?,
                    birth_date: row.try_get("birth_date")?,
                    desired_entry_date: row.try_get("desired_entry_date")?,
                    registered_on: row.try_get("registered_on")?,
                    region: row.try_get("region")?,
                    address_key: row.try_get("address_key")?,
                    parent_given_name: row.try_get("parent_given_name")?,
                    parent_family_name: row.try_get("parent_family_name")?,
                    parent_phone: row.try_get("parent_phone")?,
                    parent_email: row.try_get("parent_email")?,
                    facts: placeforte_domain::CategoryFacts {
                        staff_member_child: row.try_get("staff_member_child")?,
                        same_address_as_admitted_child: row
                            .try_get("same_address_as_admitted_child")?,
                        already_in_subsidized_care: row.try_get("already_in_subsidized_care")?,
                    },
                    priority: placeforte_domain::PriorityBasis {
                        special_needs: row.try_get("special_needs")?,
                        socio_economic_precarity: row.try_get("socio_economic_precarity")?,
                        parent_in_education: row.try_get("parent_in_education")?,
                    },
                };
                sqlx::query(concat!(
                    "INSERT INTO contact_reveals (device_id, daycare_id, referral_id,",
                    " registration_id, reason, note, revealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(request.device_id.as_uuid())
                .bind(request.daycare_id.as_uuid())
                .bind(request.referral_id.as_uuid())
                .bind(registration)
                .bind(request.reason.as_str())
                .bind(request.note.as_deref())
                .bind(request.now)
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, &event).await?;
                tx.commit().await?;
                Ok(RevealResult::Revealed(Box::new(record)))
            }

            async fn add_alert(
                &self,
                alert: &$crate::store::AlertRecord,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO alerts (raised_at, kind, device_id, daycare_id, detail) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(alert.raised_at.as_str())
                .bind(alert.kind.as_str())
                .bind(alert.device_id.as_str())
                .bind(alert.daycare_id.as_str())
                .bind(alert.detail.as_str())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn alerts(
                &self,
            ) -> Result<Vec<$crate::store::AlertRecord>, $crate::store::StoreError> {
                use sqlx::Row as _;
                let rows = sqlx::query(
                    "SELECT raised_at, kind, device_id, daycare_id, detail FROM alerts ORDER BY id DESC",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::store::AlertRecord {
                            raised_at: row.try_get("raised_at")?,
                            kind: row.try_get("kind")?,
                            device_id: row.try_get("device_id")?,
                            daycare_id: row.try_get("daycare_id")?,
                            detail: row.try_get("detail")?,
                        })
                    })
                    .collect()
            }

            async fn is_honeytoken(&self, id: uuid::Uuid) -> Result<bool, $crate::store::StoreError> {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM honeytoken_registrations WHERE registration_id = $1",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                Ok(count > 0)
            }

            async fn recent_actions(
                &self,
                actor: &str,
                action: &str,
                since: &str,
            ) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE actor = $1 AND action = $2 AND occurred_at >= $3",
                )
                .bind(actor)
                .bind(action)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn synced_referrals(
                &self,
                actor: &str,
                since: &str,
            ) -> Result<i64, $crate::store::StoreError> {
                // The subject of a sync entry is `referrals:<count>` (referrals::sync_event);
                // SUBSTR from the 11th character is the count. The outer CAST because
                // PostgreSQL sums BIGINTs as NUMERIC.
                Ok(sqlx::query_scalar(concat!(
                    "SELECT CAST(COALESCE(SUM(CAST(SUBSTR(subject, 11) AS BIGINT)), 0) AS BIGINT)",
                    " FROM audit_log WHERE actor = $1 AND action = $2 AND occurred_at >= $3"
                ))
                .bind(actor)
                .bind($crate::referrals::SYNC_ACTION)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn daycare_referral_count(
                &self,
                daycare: placeforte_protocol::DaycareId,
            ) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM referrals WHERE daycare_id = $1")
                    .bind(daycare.as_uuid())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn access_report(
                &self,
                registration: placeforte_protocol::RegistrationId,
            ) -> Result<Vec<$crate::store::AccessRecord>, $crate::store::StoreError> {
                use sqlx::Row as _;
                let referrals: Vec<uuid::Uuid> =
                    sqlx::query_scalar("SELECT id FROM referrals WHERE registration_id = $1")
                        .bind(registration.as_uuid())
                        .fetch_all(&self.pool)
                        .await?;
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for referral in referrals {
                    // Entries list referral ids comma-separated; ids are fixed-length UUIDs, so a
                    // substring match is exact.
                    let rows = sqlx::query(concat!(
                        "SELECT a.seq, a.occurred_at, a.action, a.reason, d.name FROM audit_log a",
                        " JOIN referrals f ON f.id = $1 JOIN daycares d ON d.id = f.daycare_id",
                        " WHERE a.referral_ids LIKE $2 ORDER BY a.seq"
                    ))
                    .bind(referral)
                    .bind(format!("%{}%", referral.hyphenated()))
                    .fetch_all(&self.pool)
                    .await?;
                    for row in rows {
                        let seq: i64 = row.try_get("seq")?;
                        if seen.insert(seq) {
                            out.push((seq, $crate::store::AccessRecord {
                                occurred_at: row.try_get("occurred_at")?,
                                daycare_name: row.try_get("name")?,
                                action: row.try_get("action")?,
                                reason: row.try_get("reason")?,
                            }));
                        }
                    }
                }
                out.sort_by_key(|(seq, _)| *seq);
                Ok(out.into_iter().map(|(_, r)| r).collect())
            }

            async fn registration_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM registrations")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn honeytoken_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM honeytoken_registrations")
                    .fetch_one(&self.pool)
                    .await?)
            }
        }

        async fn insert_daycares(
            tx: &mut sqlx::Transaction<'_, $db>,
            daycares: &[$crate::store::DaycareRecord],
        ) -> Result<(), $crate::store::StoreError> {
            let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                "INSERT INTO daycares (id, name, region, places_under_18_months,",
                " places_18_months_to_4_years, places_four_years, places_five_and_over, created_at) "
            ));
            let mut places_out_of_range = false;
            insert.push_values(daycares, |mut row, d| {
                row.push_bind(d.id.as_uuid())
                    .push_bind(d.name.as_str())
                    .push_bind(d.region.as_str());
                for places in d.places {
                    let places = i32::try_from(places).unwrap_or_else(|_| {
                        places_out_of_range = true;
                        -1
                    });
                    row.push_bind(places);
                }
                row.push_bind(d.created_at);
            });
            if places_out_of_range {
                return Err($crate::store::StoreError::Corrupt(
                    "a permit capacity does not fit the schema".to_owned(),
                ));
            }
            insert.build().execute(&mut **tx).await?;
            Ok(())
        }

        async fn insert_certificate(
            tx: &mut sqlx::Transaction<'_, $db>,
            certificate: &$crate::store::IssuedCertificate,
        ) -> Result<(), $crate::store::StoreError> {
            sqlx::query(
                "INSERT INTO device_certificates (serial_hex, device_id, not_before, not_after, issued_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(certificate.serial_hex.as_str())
            .bind(certificate.device_id.as_uuid())
            .bind(certificate.not_before)
            .bind(certificate.not_after)
            .bind(certificate.issued_at)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Appends `event` to the audit chain inside `tx`: the work and its entry commit or fail
        /// together. Taking the head row first orders concurrent appends.
        async fn insert_event(
            tx: &mut sqlx::Transaction<'_, $db>,
            event: &$crate::store::AuditEvent,
        ) -> Result<i64, $crate::store::StoreError> {
            use sqlx::Row as _;
            sqlx::query("UPDATE audit_head SET appends = appends + 1 WHERE id = 1")
                .execute(&mut **tx)
                .await?;
            let tip = sqlx::query("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?;
            let (prev_seq, prev_hash): (i64, Vec<u8>) = match tip {
                Some(row) => (row.try_get("seq")?, row.try_get("entry_hash")?),
                None => (0, $crate::audit::GENESIS_HASH.to_vec()),
            };
            let entry = $crate::audit::AuditEntry::chain(event, prev_seq, &prev_hash);
            sqlx::query(concat!(
                "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
                " referral_ids, reason, prev_hash, entry_hash)",
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
            .bind(entry.seq)
            .bind(entry.occurred_at.as_str())
            .bind(entry.actor.as_str())
            .bind(entry.daycare_id.as_str())
            .bind(entry.action.as_str())
            .bind(entry.subject.as_str())
            .bind(entry.referral_ids.as_str())
            .bind(entry.reason.as_str())
            .bind(entry.prev_hash.as_slice())
            .bind(entry.entry_hash.as_slice())
            .execute(&mut **tx)
            .await?;
            Ok(entry.seq)
        }

        async fn sync_page<'e, E>(
            executor: E,
            daycare: placeforte_protocol::DaycareId,
            after: (i64, uuid::Uuid),
            limit: i64,
        ) -> Result<Vec<$crate::store::ReferralSyncRow>, $crate::store::StoreError>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            use sqlx::Row as _;
            let rows = sqlx::query(concat!(
                "SELECT f.id, f.vacancy_id, f.status, f.answer_by, f.rank, f.rank_reason,",
                " f.change_seq, r.child_given_name, r.child_family_name, r.birth_date,",
                " r.desired_entry_date,",
                // From the address (indexed) to its few referrals. CROSS JOIN fixes that
                // order for SQLite's planner, which otherwise scanned all the daycare's
                // referrals for every row (0.5 s a page at 5,000 referrals, now 1 ms).
                " (SELECT s.id FROM registrations sr CROSS JOIN referrals s",
                "   WHERE s.registration_id = sr.id AND sr.address_key = r.address_key",
                "   AND sr.id <> f.registration_id AND s.daycare_id = f.daycare_id",
                "   ORDER BY s.id LIMIT 1) AS sibling_id",
                " FROM referrals f JOIN registrations r ON r.id = f.registration_id",
                " WHERE f.daycare_id = $1",
                // A row-value comparison lets the (daycare_id, change_seq, id) index serve
                // the range directly (the equivalent OR form cannot).
                " AND (f.change_seq, f.id) > ($2, $3)",
                " ORDER BY f.change_seq, f.id LIMIT $4"
            ))
            .bind(daycare.as_uuid())
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(executor)
            .await?;
            rows.iter()
                .map(|row| {
                    let rank: i32 = row.try_get("rank")?;
                    let sibling: Option<uuid::Uuid> = row.try_get("sibling_id")?;
                    Ok($crate::store::ReferralSyncRow {
                        id: placeforte_protocol::ReferralId::from_uuid(row.try_get("id")?),
                        vacancy_id: placeforte_protocol::VacancyId::from_uuid(
                            row.try_get("vacancy_id")?,
                        ),
                        status: row.try_get("status")?,
                        answer_by: row.try_get("answer_by")?,
                        rank: u32::try_from(rank).map_err(|_| {
                            $crate::store::StoreError::Corrupt("negative rank".to_owned())
                        })?,
                        rank_reason: row.try_get("rank_reason")?,
                        change_seq: row.try_get("change_seq")?,
                        child_given_name: row.try_get("child_given_name")?,
                        child_family_name: row.try_get("child_family_name")?,
                        birth_date: row.try_get("birth_date")?,
                        desired_entry_date: row.try_get("desired_entry_date")?,
                        sibling: sibling.map(placeforte_protocol::ReferralId::from_uuid),
                    })
                })
                .collect()
        }

        /// Registrations that chose `daycare` and may be referred to `vacancy`: waiting, not a
        /// honeytoken, no open referral to this daycare, never referred to this vacancy.
        async fn load_candidates<'e, E>(
            executor: E,
            daycare: placeforte_protocol::DaycareId,
            vacancy: placeforte_protocol::VacancyId,
        ) -> Result<Vec<$crate::store::CandidateRecord>, $crate::store::StoreError>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            use sqlx::Row as _;
            let rows = sqlx::query(concat!(
                "SELECT r.id, r.birth_date, r.desired_entry_date, r.registered_on,",
                " r.staff_member_child, r.same_address_as_admitted_child,",
                " r.already_in_subsidized_care, r.special_needs, r.socio_economic_precarity,",
                " r.parent_in_education",
                " FROM registration_choices c JOIN registrations r ON r.id = c.registration_id",
                " LEFT JOIN registration_states s ON s.registration_id = r.id",
                " WHERE c.daycare_id = $1 AND (s.status IS NULL OR s.status = 'waiting')",
                " AND NOT EXISTS (SELECT 1 FROM honeytoken_registrations h",
                "   WHERE h.registration_id = r.id)",
                " AND NOT EXISTS (SELECT 1 FROM referrals f WHERE f.registration_id = r.id",
                "   AND ((f.daycare_id = $1 AND f.status = 'open') OR f.vacancy_id = $2))"
            ))
            .bind(daycare.as_uuid())
            .bind(vacancy.as_uuid())
            .fetch_all(executor)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok($crate::store::CandidateRecord {
                        registration_id: placeforte_protocol::RegistrationId::from_uuid(
                            row.try_get("id")?,
                        ),
                        birth_date: row.try_get("birth_date")?,
                        desired_entry_date: row.try_get("desired_entry_date")?,
                        registered_on: row.try_get("registered_on")?,
                        facts: placeforte_domain::CategoryFacts {
                            staff_member_child: row.try_get("staff_member_child")?,
                            same_address_as_admitted_child: row
                                .try_get("same_address_as_admitted_child")?,
                            already_in_subsidized_care: row.try_get("already_in_subsidized_care")?,
                        },
                        priority: placeforte_domain::PriorityBasis {
                            special_needs: row.try_get("special_needs")?,
                            socio_economic_precarity: row.try_get("socio_economic_precarity")?,
                            parent_in_education: row.try_get("parent_in_education")?,
                        },
                    })
                })
                .collect()
        }

        async fn insert_referrals(
            tx: &mut sqlx::Transaction<'_, $db>,
            referrals: &[$crate::store::ReferralRecord],
            change_seq: i64,
        ) -> Result<(), $crate::store::StoreError> {
            for chunk in referrals.chunks($crate::store::sql::SEED_ROWS_PER_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO referrals (id, vacancy_id, daycare_id, registration_id,",
                    " status, rank, rank_reason, answer_by, referred_at, change_seq) "
                ));
                insert.push_values(chunk, |mut row, r| {
                    row.push_bind(r.id.as_uuid())
                        .push_bind(r.vacancy_id.as_uuid())
                        .push_bind(r.daycare_id.as_uuid())
                        .push_bind(r.registration_id.as_uuid())
                        .push_bind(r.status.as_str())
                        .push_bind(i32::try_from(r.rank).unwrap_or(i32::MAX))
                        .push_bind(r.rank_reason.as_str())
                        .push_bind(r.answer_by)
                        .push_bind(r.referred_at)
                        .push_bind(change_seq);
                });
                insert.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Referrals for the places of `vacancy` no accepted or open referral covers, skipping
        /// `exclude` (a child this transaction just placed or withdrew). `closing` are open
        /// referrals this transaction closes; `accepted_now` is one it accepts.
        async fn top_up(
            tx: &mut sqlx::Transaction<'_, $db>,
            vacancy_id: placeforte_protocol::VacancyId,
            exclude: placeforte_protocol::RegistrationId,
            closing: &[placeforte_protocol::ReferralId],
            accepted_now: Option<placeforte_protocol::ReferralId>,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<Vec<$crate::store::ReferralRecord>, $crate::store::StoreError> {
            use sqlx::Row as _;
            let row = sqlx::query(concat!(
                "SELECT id, daycare_id, age_class, places, start_date, group_label, declared_at,",
                " declared_by_device FROM vacancies WHERE id = $1"
            ))
            .bind(vacancy_id.as_uuid())
            .fetch_one(&mut **tx)
            .await?;
            let places: i32 = row.try_get("places")?;
            let class: String = row.try_get("age_class")?;
            let vacancy = $crate::store::VacancyRecord {
                id: vacancy_id,
                daycare_id: placeforte_protocol::DaycareId::from_uuid(row.try_get("daycare_id")?),
                age_class: placeforte_domain::AgeClass::from_code(&class)
                    .map_err(|_| $crate::store::StoreError::Corrupt("age class".to_owned()))?,
                places: u32::try_from(places).unwrap_or(0),
                start_date: row.try_get("start_date")?,
                group_label: row.try_get("group_label")?,
                declared_at: row.try_get("declared_at")?,
                declared_by: placeforte_protocol::DeviceId::from_uuid(
                    row.try_get("declared_by_device")?,
                ),
            };
            let mut accepted = 0i64;
            let mut open = 0i64;
            let mut max_rank = 0i64;
            for row in sqlx::query("SELECT id, status, rank FROM referrals WHERE vacancy_id = $1")
                .bind(vacancy_id.as_uuid())
                .fetch_all(&mut **tx)
                .await?
            {
                let id = placeforte_protocol::ReferralId::from_uuid(row.try_get("id")?);
                let status: String = row.try_get("status")?;
                let rank: i32 = row.try_get("rank")?;
                max_rank = max_rank.max(i64::from(rank));
                if status == "accepted" || accepted_now == Some(id) {
                    accepted += 1;
                } else if status == "open" && !closing.contains(&id) {
                    open += 1;
                }
            }
            let per_place = i64::from($crate::referrals::REFERRALS_PER_PLACE);
            let need = (i64::from(places) - accepted).max(0) * per_place - open;
            if need <= 0 {
                return Ok(Vec::new());
            }
            let candidates: Vec<_> = load_candidates(&mut **tx, vacancy.daycare_id, vacancy.id)
                .await?
                .into_iter()
                .filter(|c| c.registration_id != exclude)
                .collect();
            let mut more = $crate::referrals::plan_referrals(
                &vacancy,
                candidates,
                now,
                placeforte_domain::quebec_rules_on(now.date_naive()),
            );
            more.truncate(usize::try_from(need).unwrap_or(0));
            for referral in &mut more {
                referral.rank += u32::try_from(max_rank).unwrap_or(0);
            }
            Ok(more)
        }

        fn checkpoint_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<$crate::audit::Checkpoint, $crate::store::StoreError> {
            use sqlx::Row as _;
            Ok($crate::audit::Checkpoint {
                seq: row.try_get("seq")?,
                entry_hash: row.try_get("entry_hash")?,
                signed_at: row.try_get("signed_at")?,
                signature: row.try_get("signature")?,
            })
        }

        fn daycare_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<$crate::store::DaycareRecord, $crate::store::StoreError> {
            use sqlx::Row as _;
            let mut places = [0u32; 4];
            for (slot, column) in places.iter_mut().zip([
                "places_under_18_months",
                "places_18_months_to_4_years",
                "places_four_years",
                "places_five_and_over",
            ]) {
                let value: i32 = row.try_get(column)?;
                *slot = u32::try_from(value).map_err(|_| {
                    $crate::store::StoreError::Corrupt(format!("negative {column}"))
                })?;
            }
            Ok($crate::store::DaycareRecord {
                id: placeforte_protocol::DaycareId::from_uuid(row.try_get("id")?),
                name: row.try_get("name")?,
                region: row.try_get("region")?,
                places,
                created_at: row.try_get("created_at")?,
            })
        }

        fn device_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<$crate::store::DeviceRecord, $crate::store::StoreError> {
            use sqlx::Row as _;
            Ok($crate::store::DeviceRecord {
                id: placeforte_protocol::DeviceId::from_uuid(row.try_get("id")?),
                daycare_id: placeforte_protocol::DaycareId::from_uuid(row.try_get("daycare_id")?),
                enrolled_at: row.try_get("enrolled_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        }
    };
}

pub(crate) use impl_storage;

//! What June group formation keeps between sessions: the permit, next year's groups, the
//! director's pins and sibling wishes. No personal data (see
//! `migrations/cache/0005_planning_groups.sql` and `0006_planning_siblings.sql`).

use placeforte_domain::{AgeClass, SiblingWish};

use super::Cache;
use crate::error::DeskError;
use crate::planning::{GroupSetup, GroupSpec, PlanChildKey};

impl Cache {
    /// Replaces the permit and the groups with a setup the domain accepted, in one
    /// transaction; pins to a group that no longer exists are dropped with it.
    pub async fn save_group_setup(&self, setup: &GroupSetup) -> Result<(), DeskError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO planning_permit (id, under_18_months, from_18_months_to_4_years, \
             four_years, five_and_over) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET \
             under_18_months = excluded.under_18_months, \
             from_18_months_to_4_years = excluded.from_18_months_to_4_years, \
             four_years = excluded.four_years, five_and_over = excluded.five_and_over",
        )
        .bind(setup.permit[0])
        .bind(setup.permit[1])
        .bind(setup.permit[2])
        .bind(setup.permit[3])
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM planning_group")
            .execute(&mut *tx)
            .await?;
        for (position, group) in setup.groups.iter().enumerate() {
            let classes: Vec<&str> = AgeClass::ALL
                .into_iter()
                .filter(|c| group.classes.contains(c))
                .map(AgeClass::code)
                .collect();
            sqlx::query(
                "INSERT INTO planning_group (position, name, age_classes, capacity, educators) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(group.name.trim())
            .bind(classes.join(","))
            .bind(group.capacity)
            .bind(group.educators)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM planning_pin WHERE group_name NOT IN (SELECT name FROM planning_group)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The saved permit and groups (an empty setup before the first save).
    pub async fn group_setup(&self) -> Result<GroupSetup, DeskError> {
        let permit: Option<(u32, u32, u32, u32)> = sqlx::query_as(
            "SELECT under_18_months, from_18_months_to_4_years, four_years, five_and_over \
             FROM planning_permit WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let rows: Vec<(String, String, u32, u32)> = sqlx::query_as(
            "SELECT name, age_classes, capacity, educators FROM planning_group ORDER BY position",
        )
        .fetch_all(&self.pool)
        .await?;
        let groups = rows
            .into_iter()
            .map(|(name, classes, capacity, educators)| {
                let classes = classes
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(AgeClass::from_code)
                    .collect::<Result<_, _>>()
                    .map_err(|_| DeskError::CacheUnreadable)?;
                Ok(GroupSpec {
                    name,
                    classes,
                    capacity,
                    educators,
                })
            })
            .collect::<Result<_, DeskError>>()?;
        Ok(GroupSetup {
            permit: permit.map_or([0; 4], |(a, b, c, d)| [a, b, c, d]),
            groups,
        })
    }

    /// Pins the child with `key` to the group named `group`, or unpins it (`None`).
    pub async fn set_pin(&self, key: &PlanChildKey, group: Option<&str>) -> Result<(), DeskError> {
        let key = key.to_string();
        match group {
            Some(group) => {
                sqlx::query(
                    "INSERT INTO planning_pin (child_key, group_name) VALUES (?, ?) \
                     ON CONFLICT (child_key) DO UPDATE SET group_name = excluded.group_name",
                )
                .bind(&key)
                .bind(group)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM planning_pin WHERE child_key = ?")
                    .bind(&key)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Every pin: the child's key and the group's name.
    pub async fn pins(&self) -> Result<Vec<(PlanChildKey, String)>, DeskError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT child_key, group_name FROM planning_pin ORDER BY child_key")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(key, group)| Ok((key.parse().map_err(|_| DeskError::CacheUnreadable)?, group)))
            .collect()
    }

    /// Sets the wish for two children (`Some(true)` together, `Some(false)` apart) or drops it
    /// (`None`). One wish per pair, whichever order the keys come in.
    pub async fn set_sibling_wish(
        &self,
        a: &PlanChildKey,
        b: &PlanChildKey,
        together: Option<bool>,
    ) -> Result<(), DeskError> {
        let (a, b) = ordered(a, b);
        match together {
            Some(together) => {
                sqlx::query(
                    "INSERT INTO planning_sibling (child_a, child_b, together) VALUES (?, ?, ?) \
                     ON CONFLICT (child_a, child_b) DO UPDATE SET together = excluded.together",
                )
                .bind(a)
                .bind(b)
                .bind(together)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM planning_sibling WHERE child_a = ? AND child_b = ?")
                    .bind(a)
                    .bind(b)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Every sibling wish, its keys in text order.
    pub async fn sibling_wishes(&self) -> Result<Vec<SiblingWish<PlanChildKey>>, DeskError> {
        let rows: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT child_a, child_b, together FROM planning_sibling ORDER BY child_a, child_b",
        )
        .fetch_all(&self.pool)
        .await?;
        let key = |text: String| text.parse().map_err(|_| DeskError::CacheUnreadable);
        rows.into_iter()
            .map(|(a, b, together)| {
                Ok(SiblingWish {
                    a: key(a)?,
                    b: key(b)?,
                    together,
                })
            })
            .collect()
    }
}

/// The pair's keys as text, in text order (the table's `CHECK`).
fn ordered(a: &PlanChildKey, b: &PlanChildKey) -> (String, String) {
    let (a, b) = (a.to_string(), b.to_string());
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

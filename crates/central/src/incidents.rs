//! The confidentiality-incident register (Québec's Law 25).
//!
//! Every body must keep a register of its confidentiality incidents, serious or not (Act
//! respecting Access to documents held by public bodies and the Protection of personal
//! information, chapter, s. 63.11), and give the Commission d'accès à l'information a
//! copy on request. Its contents are the eight paragraphs of s. 7 of the Règlement sur les
//! incidents de confidentialité (chapter, r. 3.1); each field below names its paragraph.
//! The single window is run for the Ministère de la Famille, a public body, so the reading
//! applies (the same s. 7 also covers enterprises under P-39.1, s. 3.8: the contents are the
//! same). The reading is written down in docs/privacy-impact-assessment.md, section 7.
//!
//! The register's text may describe people; so the audit log names an incident by its number
//! only, never by its text.

use chrono::{DateTime, NaiveDate, Utc};

use crate::operator::Operator;
use crate::store::{AlertRecord, AuditEvent, IncidentStorage, StoreError};

/// The longest free-text field accepted (characters): a register entry is a summary, and a
/// bound keeps a pasted file out of the database.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// One entry of the register, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Its number in the register.
    pub id: i64,
    /// When it was entered (RFC 3339).
    pub recorded_at: String,
    /// Who entered it (`operator:<login>`).
    pub recorded_by: String,
    /// When it was last changed (RFC 3339).
    pub updated_at: String,
    /// What it says.
    pub details: IncidentDetails,
    /// The alert it was raised from, if any.
    pub alert_id: Option<i64>,
}

/// What the regulation asks the register to hold (A-2.1, r. 3.1, s. 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDetails {
    /// 1°: whether [`IncidentDetails::information`] describes the personal information
    /// concerned (`true`) or says why it cannot be described (`false`).
    pub information_described: bool,
    /// 1°: the personal information concerned, or why it cannot be described.
    pub information: String,
    /// 2°: a brief description of the circumstances.
    pub circumstances: String,
    /// 3°: when it occurred: a day, or a period.
    pub occurred: Period,
    /// 3°: whether that date or period is an approximation (the real one is not known).
    pub occurred_approximate: bool,
    /// 4°: when the body became aware of it.
    pub aware: Period,
    /// 5°: how many persons are concerned.
    pub persons_concerned: i64,
    /// 5°: whether that number is an approximation.
    pub persons_approximate: bool,
    /// 6°: the elements weighed (sensitivity, possible ill-intentioned uses, consequences,
    /// likelihood).
    pub risk_assessment: String,
    /// 6°: the conclusion: a risk of serious injury or not.
    pub serious_risk: bool,
    /// 7°: when the Commission d'accès à l'information was notified.
    pub commission_notified_on: Option<NaiveDate>,
    /// 7°: when the persons concerned were notified.
    pub persons_notified_on: Option<NaiveDate>,
    /// 7°: public notices given, and why; `None` when none was given.
    pub public_notice_reason: Option<String>,
    /// 8°: the measures taken to reduce the risk of injury.
    pub measures: String,
}

/// A day, or a period of days (both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first (or only) day.
    pub from: NaiveDate,
    /// The last day of a period; `None` for a single day.
    pub to: Option<NaiveDate>,
}

impl Period {
    /// The last day (the first for a single day).
    pub fn last(&self) -> NaiveDate {
        self.to.unwrap_or(self.from)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to {
            Some(to) if to != self.from => write!(f, "{}/{}", self.from, to),
            _ => write!(f, "{}", self.from),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = IncidentError;

    /// `YYYY-MM-DD` or `YYYY-MM-DD/YYYY-MM-DD` (ISO 8601 intervals).
    fn from_str(text: &str) -> Result<Period, IncidentError> {
        let day = |t: &str| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map_err(|_| IncidentError::BadPeriod(text.to_owned()))
        };
        match text.split_once('/') {
            None => Ok(Period {
                from: day(text)?,
                to: None,
            }),
            Some((from, to)) => Ok(Period {
                from: day(from)?,
                to: Some(day(to)?),
            }),
        }
    }
}

/// A register entry was refused, or its storage failed.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No incident has this number.
    #[error("no incident has the number {0}")]
    UnknownIncident(i64),
    /// No alert has this id.
    #[error("no alert has the id {0}")]
    UnknownAlert(i64),
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A text is over [`MAX_TEXT_CHARS`].
    #[error("{0} is longer than {MAX_TEXT_CHARS} characters")]
    TooLong(&'static str),
    /// Not a day or a period.
    #[error("{0:?} is not a day (YYYY-MM-DD) or a period (YYYY-MM-DD/YYYY-MM-DD)")]
    BadPeriod(String),
    /// A period ends before it starts.
    #[error("the period {0} ends before it starts")]
    PeriodBackwards(String),
    /// A date after today.
    #[error("{0} is in the future")]
    InFuture(&'static str),
    /// Became aware before it happened (and the date of the incident is not approximate).
    #[error("the body cannot have become aware ({aware}) before the incident ({occurred}); mark the incident's date approximate if it is not known")]
    AwareBeforeOccurred {
        /// When it occurred.
        occurred: String,
        /// When the body became aware.
        aware: String,
    },
    /// A notice dated before the body became aware of the incident.
    #[error("{0} is dated before the body became aware of the incident")]
    NoticeBeforeAware(&'static str),
    /// Notices (7°) recorded for an incident assessed as presenting no serious risk.
    #[error("notices to the Commission or to the persons concerned are recorded only for an incident with a risk of serious injury (--serious-risk yes)")]
    NoticeWithoutSeriousRisk,
    /// A negative number of persons.
    #[error("the number of persons concerned cannot be negative")]
    NegativePersons,
}

impl IncidentDetails {
    /// Checks the entry against what the regulation asks and against `today` (in Québec).
    pub fn validate(&self, today: NaiveDate) -> Result<(), IncidentError> {
        for (name, text) in [
            ("the personal information (1°)", &self.information),
            ("the circumstances (2°)", &self.circumstances),
            ("the risk assessment (6°)", &self.risk_assessment),
            ("the measures taken (8°)", &self.measures),
        ] {
            check_text(name, text)?;
        }
        if let Some(reason) = &self.public_notice_reason {
            check_text("the public notice's reason (7°)", reason)?;
        }
        for (name, period) in [
            ("the date of the incident (3°)", self.occurred),
            ("the date of awareness (4°)", self.aware),
        ] {
            if period.last() < period.from {
                return Err(IncidentError::PeriodBackwards(period.to_string()));
            }
            if period.last() > today {
                return Err(IncidentError::InFuture(name));
            }
        }
        if !self.occurred_approximate && self.aware.last() < self.occurred.from {
            return Err(IncidentError::AwareBeforeOccurred {
                occurred: self.occurred.to_string(),
                aware: self.aware.to_string(),
            });
        }
        if self.persons_concerned < 0 {
            return Err(IncidentError::NegativePersons);
        }
        let notices = [
            (
                "the notice to the Commission (7°)",
                self.commission_notified_on,
            ),
            (
                "the notice to the persons concerned (7°)",
                self.persons_notified_on,
            ),
        ];
        for (name, notice) in notices {
            if let Some(day) = notice {
                if !self.serious_risk {
                    return Err(IncidentError::NoticeWithoutSeriousRisk);
                }
                if day > today {
                    return Err(IncidentError::InFuture(name));
                }
                if day < self.aware.from {
                    return Err(IncidentError::NoticeBeforeAware(name));
                }
            }
        }
        if self.public_notice_reason.is_some() && !self.serious_risk {
            return Err(IncidentError::NoticeWithoutSeriousRisk);
        }
        Ok(())
    }

    /// A serious incident whose notices are not all recorded yet: the Commission and the
    /// persons concerned must be notified promptly (A-2.1, s. 63.8).
    pub fn notices_due(&self) -> bool {
        self.serious_risk
            && (self.commission_notified_on.is_none() || self.persons_notified_on.is_none())
    }

    /// A first draft from an alert: what the alert says, the day it was raised as both the
    /// incident's (approximate) date and the day the body became aware; the assessment and the
    /// measures left for the operator to complete with `incident update`.
    pub fn from_alert(alert: &AlertRecord) -> Result<IncidentDetails, IncidentError> {
        let raised = DateTime::parse_from_rfc3339(&alert.raised_at)
            .map_err(|_| StoreError::Corrupt(format!("alert {} raised_at", alert.id)))?;
        let raised = placeforte_domain::quebec_today(raised.with_timezone(&Utc));
        let day = Period {
            from: raised,
            to: None,
        };
        let who = match (alert.device_id.as_str(), alert.daycare_id.as_str()) {
            ("", "") => String::new(),
            (device, "") => format!(" (poste / device {device})"),
            (device, daycare) => {
                format!(" (poste / device {device}, garderie / daycare {daycare})")
            }
        };
        Ok(IncidentDetails {
            information_described: false,
            information: format!(
                "À déterminer : l'alerte {} ne dit pas encore quels renseignements ont été consultés. / To be determined: alert {} does not yet say which information was read.",
                alert.id, alert.id
            ),
            circumstances: format!(
                "Alerte {} « {} » levée le {}{} : {} / Alert {} \"{}\" raised on {}{}: {}",
                alert.id,
                alert.kind,
                alert.raised_at,
                who,
                alert.detail,
                alert.id,
                alert.kind,
                alert.raised_at,
                who,
                alert.detail
            ),
            occurred: day,
            occurred_approximate: true,
            aware: day,
            persons_concerned: 0,
            persons_approximate: true,
            risk_assessment: "À évaluer. / To be assessed.".to_owned(),
            serious_risk: false,
            commission_notified_on: None,
            persons_notified_on: None,
            public_notice_reason: None,
            measures: "À compléter. / To be completed.".to_owned(),
        })
    }
}

fn check_text(name: &'static str, text: &str) -> Result<(), IncidentError> {
    if text.trim().is_empty() {
        return Err(IncidentError::Empty(name));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(IncidentError::TooLong(name));
    }
    Ok(())
}

/// The audit entry for an action on incident `id` (the number only, never its text).
pub fn incident_event(now: DateTime<Utc>, actor: &str, action: &str, id: i64) -> AuditEvent {
    AuditEvent::new(now, actor.to_owned(), action, format!("incident:{id}"))
}

/// Audit action: an incident entered.
pub const RECORDED: &str = "incident.recorded";
/// Audit action: an incident changed.
pub const UPDATED: &str = "incident.updated";
/// Audit action: an incident read.
pub const READ: &str = "incident.read";
/// Audit action: the register exported.
pub const EXPORTED: &str = "incidents.exported";

/// Changes to an entry: `None` keeps what is there. `Some(None)` on an optional field clears
/// it (a notice date entered by mistake).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChanges {
    /// 1°: whether `information` describes the information.
    pub information_described: Option<bool>,
    /// 1°
    pub information: Option<String>,
    /// 2°
    pub circumstances: Option<String>,
    /// 3°
    pub occurred: Option<Period>,
    /// 3°
    pub occurred_approximate: Option<bool>,
    /// 4°
    pub aware: Option<Period>,
    /// 5°
    pub persons_concerned: Option<i64>,
    /// 5°
    pub persons_approximate: Option<bool>,
    /// 6°
    pub risk_assessment: Option<String>,
    /// 6°
    pub serious_risk: Option<bool>,
    /// 7°
    pub commission_notified_on: Option<Option<NaiveDate>>,
    /// 7°
    pub persons_notified_on: Option<Option<NaiveDate>>,
    /// 7°
    pub public_notice_reason: Option<Option<String>>,
    /// 8°
    pub measures: Option<String>,
}

impl IncidentChanges {
    /// `details` with these changes.
    pub fn apply(self, mut details: IncidentDetails) -> IncidentDetails {
        fn set<T>(field: &mut T, change: Option<T>) {
            if let Some(value) = change {
                *field = value;
            }
        }
        set(
            &mut details.information_described,
            self.information_described,
        );
        set(&mut details.information, self.information);
        set(&mut details.circumstances, self.circumstances);
        set(&mut details.occurred, self.occurred);
        set(&mut details.occurred_approximate, self.occurred_approximate);
        set(&mut details.aware, self.aware);
        set(&mut details.persons_concerned, self.persons_concerned);
        set(&mut details.persons_approximate, self.persons_approximate);
        set(&mut details.risk_assessment, self.risk_assessment);
        set(&mut details.serious_risk, self.serious_risk);
        set(
            &mut details.commission_notified_on,
            self.commission_notified_on,
        );
        set(&mut details.persons_notified_on, self.persons_notified_on);
        set(&mut details.public_notice_reason, self.public_notice_reason);
        set(&mut details.measures, self.measures);
        details
    }
}

/// Enters a new incident after checking it (audited `incident.recorded`).
pub async fn record<S: IncidentStorage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    details: &IncidentDetails,
) -> Result<i64, IncidentError> {
    details.validate(placeforte_domain::quebec_today(now))?;
    Ok(store
        .add_incident(details, None, &actor_of(operator), now)
        .await?)
}

/// Raises an incident from alert `alert_id`: prefilled from it ([`IncidentDetails::from_alert`])
/// and linked to it; then `changes` (what the operator already knows) on top.
pub async fn raise_from_alert<S: IncidentStorage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    alert_id: i64,
    changes: IncidentChanges,
) -> Result<i64, IncidentError> {
    let alert = store
        .alerts()
        .await?
        .into_iter()
        .find(|a| a.id == alert_id)
        .ok_or(IncidentError::UnknownAlert(alert_id))?;
    let details = changes.apply(IncidentDetails::from_alert(&alert)?);
    details.validate(placeforte_domain::quebec_today(now))?;
    Ok(store
        .add_incident(&details, Some(alert_id), &actor_of(operator), now)
        .await?)
}

/// Changes incident `id` (audited `incident.read` then `incident.updated`); the result is
/// checked as a new entry is.
pub async fn update<S: IncidentStorage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    id: i64,
    changes: IncidentChanges,
) -> Result<Incident, IncidentError> {
    let actor = actor_of(operator);
    let current = store
        .incident(id, &actor, now)
        .await?
        .ok_or(IncidentError::UnknownIncident(id))?;
    let details = changes.apply(current.details);
    details.validate(placeforte_domain::quebec_today(now))?;
    if !store.update_incident(id, &details, &actor, now).await? {
        return Err(IncidentError::UnknownIncident(id));
    }
    store
        .incident(id, &actor, now)
        .await?
        .ok_or(IncidentError::UnknownIncident(id))
}

/// The audit log's actor for `operator`.
fn actor_of(operator: &Operator) -> String {
    format!("operator:{}", operator.0)
}

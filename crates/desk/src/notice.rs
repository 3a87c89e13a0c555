//! The desktop notifications of the open app: new referrals arrived, open offers near their
//! deadline. Each is shown once per referral and threshold (remembered in the encrypted
//! cache), never at every sync, and says only counts: no name, no date of birth, nothing of
//! the data inventory a passer-by should not read on the screen.
//!
//! [`decide`] is the whole rule, pure; [`crate::Cache::notices_due`] applies it to the cache
//! and remembers what it decided.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::ReferralId;
use serde::{Deserialize, Serialize};

use crate::referral_view::ReferralView;

/// How close to its deadline an open offer is announced.
pub const DEADLINE_WARNING_DAYS: i64 = 2;

/// What a notification is about (stored with the referral it was shown for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    /// The referral arrived with a sync.
    Arrived,
    /// The open offer is within [`DEADLINE_WARNING_DAYS`] of its deadline.
    DeadlineSoon,
}

impl NoticeKind {
    /// Stable code (storage).
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::Arrived => "arrived",
            NoticeKind::DeadlineSoon => "deadline_soon",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Self> {
        [NoticeKind::Arrived, NoticeKind::DeadlineSoon]
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// What to notify now, and the notices to remember so that none is shown twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notices {
    /// Open referrals not announced yet.
    pub new_referrals: u32,
    /// Open offers, without an answer recorded here, whose deadline is less than
    /// [`DEADLINE_WARNING_DAYS`] away and not announced yet.
    pub deadlines_soon: u32,
    /// Every notice counted above, by referral.
    pub shown: Vec<(ReferralId, NoticeKind)>,
}

impl Notices {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.new_referrals == 0 && self.deadlines_soon == 0
    }

    /// The notifications' texts in `language`, one per kind with a count.
    pub fn texts(&self, language: NoticeLanguage) -> Vec<String> {
        let mut texts = Vec::new();
        if self.new_referrals > 0 {
            texts.push(new_referrals_text(self.new_referrals, language));
        }
        if self.deadlines_soon > 0 {
            texts.push(deadlines_soon_text(self.deadlines_soon, language));
        }
        texts
    }
}

/// The language of the notifications: the window's (it tells the shell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum NoticeLanguage {
    /// French (Canada), the default.
    #[default]
    #[serde(rename = "fr-CA")]
    FrCa,
    /// English (Canada).
    #[serde(rename = "en-CA")]
    EnCa,
}

fn new_referrals_text(count: u32, language: NoticeLanguage) -> String {
    match (language, count) {
        (NoticeLanguage::FrCa, 1) => "1 nouvelle référence".into(),
        (NoticeLanguage::FrCa, n) => format!("{n} nouvelles références"),
        (NoticeLanguage::EnCa, 1) => "1 new referral".into(),
        (NoticeLanguage::EnCa, n) => format!("{n} new referrals"),
    }
}

fn deadlines_soon_text(count: u32, language: NoticeLanguage) -> String {
    let days = DEADLINE_WARNING_DAYS;
    match (language, count) {
        (NoticeLanguage::FrCa, 1) => {
            format!("1 offre arrive à échéance dans moins de {days} jours")
        }
        (NoticeLanguage::FrCa, n) => {
            format!("{n} offres arrivent à échéance dans moins de {days} jours")
        }
        (NoticeLanguage::EnCa, 1) => format!("1 offer is due in less than {days} days"),
        (NoticeLanguage::EnCa, n) => format!("{n} offers are due in less than {days} days"),
    }
}

/// What to notify at `now`, given the cached referrals and the notices already shown.
///
/// Only open offers count: an answered, expired or closed referral needs nothing from the
/// director. An offer whose answer waits in the outbox is not warned about; one already past
/// its deadline is not announced at all (the service has expired it).
pub fn decide(
    referrals: &[ReferralView],
    shown: &HashSet<(ReferralId, NoticeKind)>,
    now: DateTime<Utc>,
) -> Notices {
    let warning = Duration::days(DEADLINE_WARNING_DAYS);
    let mut notices = Notices::default();
    for referral in referrals {
        let left = referral.answer_deadline - now;
        if referral.status != ReferralStatus::Open || left <= Duration::zero() {
            continue;
        }
        let id = referral.referral_id;
        if !shown.contains(&(id, NoticeKind::Arrived)) {
            notices.new_referrals += 1;
            notices.shown.push((id, NoticeKind::Arrived));
        }
        if left <= warning
            && referral.pending_outcome.is_none()
            && !shown.contains(&(id, NoticeKind::DeadlineSoon))
        {
            notices.deadlines_soon += 1;
            notices.shown.push((id, NoticeKind::DeadlineSoon));
        }
    }
    notices
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use placeforte_domain::{end_of_quebec_day, OfferOutcome};
    use placeforte_protocol::referrals::RankStanding;
    use placeforte_protocol::VacancyId;

    use super::*;

    fn open_offer(answer_by: NaiveDate) -> ReferralView {
        ReferralView {
            referral_id: ReferralId::random(),
            vacancy_id: VacancyId::random(),
            status: ReferralStatus::Open,
            answer_by,
            answer_deadline: end_of_quebec_day(answer_by),
            label: "Léa T.".into(),
            birth_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            desired_entry_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            age_class: None,
            category: 4,
            priority: false,
            sibling_referral_id: None,
            rank: 1,
            category_order_rank: 1,
            days_waiting: 10,
            standing: RankStanding::WithinPlaces,
            pending_outcome: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, d).unwrap()
    }

    /// `hours` before the end of the Québec day `d`.
    fn before_end_of(d: u32, hours: i64) -> DateTime<Utc> {
        end_of_quebec_day(day(d)) - Duration::hours(hours)
    }

    fn remember(shown: &mut HashSet<(ReferralId, NoticeKind)>, notices: &Notices) {
        shown.extend(notices.shown.iter().copied());
    }

    #[test]
    fn new_open_referrals_are_announced_once() {
        let list = vec![open_offer(day(20)), open_offer(day(21))];
        let mut shown = HashSet::new();
        let first = decide(&list, &shown, before_end_of(10, 0));
        assert_eq!((first.new_referrals, first.deadlines_soon), (2, 0));
        remember(&mut shown, &first);
        let again = decide(&list, &shown, before_end_of(10, 0));
        assert!(again.is_empty(), "{again:?}");
        // A third one arriving later is the only news.
        let mut more = list.clone();
        more.push(open_offer(day(22)));
        let later = decide(&more, &shown, before_end_of(11, 0));
        assert_eq!((later.new_referrals, later.deadlines_soon), (1, 0));
    }

    #[test]
    fn an_offer_is_warned_about_once_within_two_days_of_its_deadline() {
        let list = vec![open_offer(day(20))];
        let mut shown = HashSet::new();
        let arrived = decide(&list, &shown, before_end_of(10, 0));
        remember(&mut shown, &arrived);
        // Two days and a second before: not yet.
        let early = end_of_quebec_day(day(20)) - Duration::days(2) - Duration::seconds(1);
        assert!(decide(&list, &shown, early).is_empty());
        // Exactly two days before: warned, once.
        let due = decide(
            &list,
            &shown,
            end_of_quebec_day(day(20)) - Duration::days(2),
        );
        assert_eq!((due.new_referrals, due.deadlines_soon), (0, 1));
        remember(&mut shown, &due);
        assert!(decide(&list, &shown, before_end_of(20, 1)).is_empty());
    }

    #[test]
    fn answered_expired_or_closed_offers_are_not_announced() {
        let mut answered = open_offer(day(11));
        answered.pending_outcome = Some(OfferOutcome::Accepted);
        let mut expired = open_offer(day(11));
        expired.status = ReferralStatus::NoAnswer;
        let mut closed = open_offer(day(11));
        closed.status = ReferralStatus::Closed;
        let past = open_offer(day(9));
        let list = vec![answered, expired, closed, past];
        let notices = decide(&list, &HashSet::new(), before_end_of(10, 2));
        // Only the answered one is news (it arrived), and it needs no warning.
        assert_eq!((notices.new_referrals, notices.deadlines_soon), (1, 0));
        // At its deadline an offer is expired: nothing.
        let at_end = decide(&list, &HashSet::new(), end_of_quebec_day(day(11)));
        assert!(at_end.is_empty());
    }

    #[test]
    fn a_new_offer_already_near_its_deadline_is_both_news_and_a_warning() {
        let list = vec![open_offer(day(11))];
        let notices = decide(&list, &HashSet::new(), before_end_of(11, 5));
        assert_eq!((notices.new_referrals, notices.deadlines_soon), (1, 1));
        assert_eq!(notices.shown.len(), 2);
    }

    #[test]
    fn the_texts_are_counts_in_french_and_english() {
        let one = Notices {
            new_referrals: 1,
            deadlines_soon: 1,
            shown: Vec::new(),
        };
        assert_eq!(
            one.texts(NoticeLanguage::FrCa),
            [
                "1 nouvelle référence",
                "1 offre arrive à échéance dans moins de 2 jours"
            ]
        );
        let many = Notices {
            new_referrals: 3,
            deadlines_soon: 2,
            shown: Vec::new(),
        };
        assert_eq!(
            many.texts(NoticeLanguage::EnCa),
            ["3 new referrals", "2 offers are due in less than 2 days"]
        );
        let only_news = Notices {
            new_referrals: 2,
            ..Notices::default()
        };
        assert_eq!(
            only_news.texts(NoticeLanguage::FrCa),
            ["2 nouvelles références"]
        );
        assert!(Notices::default().texts(NoticeLanguage::EnCa).is_empty());
    }

    #[test]
    fn the_language_is_the_window_locale_code() {
        let fr: NoticeLanguage = serde_json::from_str("\"fr-CA\"").unwrap();
        let en: NoticeLanguage = serde_json::from_str("\"en-CA\"").unwrap();
        assert_eq!((fr, en), (NoticeLanguage::FrCa, NoticeLanguage::EnCa));
        assert!(serde_json::from_str::<NoticeLanguage>("\"de-DE\"").is_err());
    }
}

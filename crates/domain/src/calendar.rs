//! The day it is in Québec. The services keep time in UTC, but a date a director types ("the
//! places open today") is a Québec date: from 19:00 or 20:00 in Québec, UTC is already
//! tomorrow, and a check against the UTC date would refuse a start date of today.

use chrono::{DateTime, Days, LocalResult, NaiveDate, TimeZone, Utc};
// Québec keeps Eastern time; tzdb's America/Montreal is a link to America/Toronto.
use chrono_tz::America::Toronto as QUEBEC;

/// The calendar date in Québec at `now`.
pub fn quebec_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&QUEBEC).date_naive()
}

/// The instant a Québec day ends: midnight in Québec at the start of the next day, in UTC.
///
/// An offer to be answered "by" a day can be answered until the last second of that day where
/// the family lives; it expires at this instant. Midnight always exists in Québec (the clock
/// changes at 02:00), so the earliest reading is taken only as a guard.
pub fn end_of_quebec_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    let midnight = next.and_time(chrono::NaiveTime::MIN);
    match QUEBEC.from_local_datetime(&midnight) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => midnight.and_utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(utc: &str) -> DateTime<Utc> {
        utc.parse().unwrap_or_else(|err| panic!("{utc}: {err}"))
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_else(|err| panic!("{s}: {err}"))
    }

    #[test]
    fn a_quebec_evening_is_still_today_there_while_utc_is_tomorrow() {
        // Standard time (UTC−5): 21:00 on the 22nd in Québec.
        assert_eq!(quebec_today(at("2026-11-23T02:00:00Z")), date("2026-11-22"));
        assert_eq!(quebec_today(at("2026-11-23T05:00:00Z")), date("2026-11-23"));
        // Summer time (UTC−4): 23:59 on June 30, then midnight on July 1.
        assert_eq!(quebec_today(at("2026-07-01T03:59:00Z")), date("2026-06-30"));
        assert_eq!(quebec_today(at("2026-07-01T04:00:00Z")), date("2026-07-01"));
    }

    #[test]
    fn the_day_follows_the_clock_change() {
        // 2026-03-08 02:00 EST → EDT. Midnight that night is 04:00 UTC, not 05:00.
        assert_eq!(quebec_today(at("2026-03-09T03:59:00Z")), date("2026-03-08"));
        assert_eq!(quebec_today(at("2026-03-09T04:00:00Z")), date("2026-03-09"));
    }

    #[test]
    fn a_day_ends_at_midnight_in_quebec_whatever_the_season() {
        // Standard time (UTC−5) and summer time (UTC−4).
        assert_eq!(
            end_of_quebec_day(date("2026-11-22")),
            at("2026-11-23T05:00:00Z")
        );
        assert_eq!(
            end_of_quebec_day(date("2026-06-30")),
            at("2026-07-01T04:00:00Z")
        );
        // The day of the change to summer time is 23 hours long; its end is summer midnight.
        assert_eq!(
            end_of_quebec_day(date("2026-03-08")),
            at("2026-03-09T04:00:00Z")
        );
        // Its last second is still that day in Québec; the next instant is the next day.
        let end = end_of_quebec_day(date("2026-03-08"));
        assert_eq!(
            quebec_today(end - chrono::Duration::seconds(1)),
            date("2026-03-08")
        );
        assert_eq!(quebec_today(end), date("2026-03-09"));
    }
}

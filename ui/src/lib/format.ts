import { translate, type Locale } from "./i18n";

/** A calendar date (`YYYY-MM-DD`) in the locale's long form, e.g. « 5 septembre 2026 ». */
export function formatDate(iso: string, locale: Locale): string {
  const [y, m, d] = iso.split("-").map(Number);
  if (!y || !m || !d) return iso;
  // Noon UTC, formatted in UTC: the calendar day never shifts with the time zone.
  const day = new Date(Date.UTC(y, m - 1, d, 12));
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(day);
}

/** An instant (RFC 3339) as a local date and time. */
export function formatInstant(iso: string, locale: Locale): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short" }).format(at);
}

/** A count in the locale (thin spaces in French thousands). */
export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** Whole days from `today` to `iso` (negative when past). Both are calendar dates. */
export function daysUntil(iso: string, today: string): number {
  const toDay = (s: string) => {
    const [y, m, d] = s.split("-").map(Number);
    return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) / 86_400_000;
  };
  return Math.round(toDay(iso) - toDay(today));
}

/** Today as a calendar date in the computer's time zone. */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** How long is left to answer an offer, counted down to its deadline (an RFC 3339 instant:
 * midnight in Québec ending the answer-by day, when the service stops taking an answer). */
export type TimeLeft = { kind: "expired" } | { kind: "under_an_hour" } | { kind: "left"; days: number; hours: number };

const HOUR_MS = 3_600_000;

/** The time left from `now` to `deadline`; an unreadable deadline counts as expired (the
 * service is the judge; the screen never promises time it cannot vouch for). */
export function timeLeft(deadline: string, now: Date): TimeLeft {
  const left = Date.parse(deadline) - now.getTime();
  if (!(left > 0)) return { kind: "expired" };
  if (left < HOUR_MS) return { kind: "under_an_hour" };
  const hours = Math.floor(left / HOUR_MS);
  return { kind: "left", days: Math.floor(hours / 24), hours: hours % 24 };
}

/** The time left in words, e.g. « 2 j 5 h restants », "less than an hour", "expired". */
export function formatTimeLeft(left: TimeLeft, locale: Locale): string {
  switch (left.kind) {
    case "expired":
      return translate(locale, "deadline.expired");
    case "under_an_hour":
      return translate(locale, "deadline.underAnHour");
    case "left":
      return left.days > 0
        ? translate(locale, "deadline.daysHours", { days: left.days, hours: left.hours })
        : translate(locale, "deadline.hours", { hours: left.hours });
  }
}

import type { Locale } from "./i18n";

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

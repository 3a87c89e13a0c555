import type { AgeClass, DemandCell } from "./bindings";
import type { Locale } from "./i18n";

/** How the service writes a count of 1 to 4 children (so that a figure never points at a family). */
export const SUPPRESSED = "<5";

/** The age classes in the chart's order (youngest first). */
export const AGE_CLASSES: readonly AgeClass[] = [
  "under_18_months",
  "from_18_months_to_4_years",
  "four_years",
  "five_and_over",
];

/** A count as a bar: a suppressed count is drawn up to 4, its highest possible value. */
export interface Count {
  value: number;
  suppressed: boolean;
}

/** The service's count (`"12"` or `"<5"`); `null` for anything else (never drawn). */
export function parseCount(children: string): Count | null {
  if (children === SUPPRESSED) return { value: 4, suppressed: true };
  if (!/^\d+$/.test(children)) return null;
  return { value: Number(children), suppressed: false };
}

/** The count as the screen shows it: `<5` stays `<5`, numbers in the locale's digits. */
export function formatCount(children: string, locale: Locale): string {
  const count = parseCount(children);
  if (!count || count.suppressed) return children;
  return new Intl.NumberFormat(locale).format(count.value);
}

/** `YYYY-MM` as the month and year in the locale (« septembre 2026 »). */
export function formatMonth(month: string, locale: Locale): string {
  const [y, m] = month.split("-").map(Number);
  if (!y || !m || m > 12) return month;
  const day = new Date(Date.UTC(y, m - 1, 15));
  return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" }).format(day);
}

/** The top of the axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (5 at least). */
export function axisMax(max: number): number {
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * step >= Math.max(max, 5)) return m * step;
    step *= 10;
  }
}

export interface Bar extends Count {
  ageClass: AgeClass;
  children: string;
  /** Height as a fraction of the axis, 0 to 1. */
  height: number;
}

export interface MonthGroup {
  month: string;
  bars: Bar[];
}

export interface Chart {
  groups: MonthGroup[];
  /** The age classes that appear, in the chart's order (one colour each). */
  classes: AgeClass[];
  axisMax: number;
  /** Axis labels: 0, a middle value when it is whole, the top. */
  ticks: number[];
}

/** The demand cells as grouped bars: one group per month (in time order), one bar per class. */
export function buildChart(cells: readonly DemandCell[]): Chart {
  const counted = cells.flatMap((cell) => {
    const count = parseCount(cell.children);
    return count ? [{ ...cell, ...count }] : [];
  });
  const top = axisMax(Math.max(0, ...counted.map((c) => c.value)));
  const months = [...new Set(counted.map((c) => c.start_month))].sort();
  const classes = AGE_CLASSES.filter((a) => counted.some((c) => c.age_class === a));
  const groups = months.map((month) => ({
    month,
    bars: classes.flatMap((ageClass) => {
      const cell = counted.find((c) => c.start_month === month && c.age_class === ageClass);
      if (!cell) return [];
      const { children, value, suppressed } = cell;
      return [{ ageClass, children, value, suppressed, height: value / top }];
    }),
  }));
  const ticks = top % 2 === 0 ? [0, top / 2, top] : [0, top];
  return { groups, classes, axisMax: top, ticks };
}

import { OUTBOX_REFUSAL_CODES, type AgeClass, type ReferralView, type ReferralStatus } from "./bindings";
import { daysUntil } from "./format";
import { translate, type Locale, type MessageKey } from "./i18n";

export type SortKey = "deadline" | "rank" | "waiting" | "label";

export interface Filters {
  ageClass: AgeClass | "all";
  category: number | "all";
  priority: "all" | "only" | "none";
  status: ReferralStatus | "all";
}

export const NO_FILTERS: Filters = { ageClass: "all", category: "all", priority: "all", status: "all" };

/**
 * How urgent a referral is for the director, most urgent first: an open offer still running
 * with no answer recorded (0), an open one whose answer waits to be sent (1), an open one past
 * its deadline that the service is expiring (2), then everything already settled (3).
 */
export function urgencyTier(r: ReferralView, now: Date): number {
  if (r.status !== "open") return 3;
  if (!(Date.parse(r.answer_deadline) > now.getTime())) return 2;
  return r.pending_outcome ? 1 : 0;
}

/** The referrals that pass every filter, sorted (stable, then by label for equal keys). The
 * deadline sort is by urgency: open offers nearest their deadline first. */
export function filterAndSort(
  list: readonly ReferralView[],
  filters: Filters,
  sort: SortKey,
  locale: Locale,
  now: Date = new Date(),
): ReferralView[] {
  const kept = list.filter(
    (r) =>
      (filters.ageClass === "all" || r.age_class === filters.ageClass) &&
      (filters.category === "all" || r.category === filters.category) &&
      (filters.priority === "all" || r.priority === (filters.priority === "only")) &&
      (filters.status === "all" || r.status === filters.status),
  );
  const collator = new Intl.Collator(locale);
  const byLabel = (a: ReferralView, b: ReferralView) => collator.compare(a.label, b.label);
  const compare: Record<SortKey, (a: ReferralView, b: ReferralView) => number> = {
    deadline: (a, b) =>
      urgencyTier(a, now) - urgencyTier(b, now) ||
      Date.parse(a.answer_deadline) - Date.parse(b.answer_deadline) ||
      a.rank - b.rank,
    rank: (a, b) => a.rank - b.rank,
    waiting: (a, b) => b.days_waiting - a.days_waiting,
    label: byLabel,
  };
  return kept.sort((a, b) => compare[sort](a, b) || byLabel(a, b));
}

export interface DeadlineCounts {
  overdue: number;
  within3: number;
  within7: number;
  later: number;
}

/** Open referrals counted by how soon the family must answer. */
export function countByDeadline(list: readonly ReferralView[], today: string): DeadlineCounts {
  const counts: DeadlineCounts = { overdue: 0, within3: 0, within7: 0, later: 0 };
  for (const r of list) {
    if (r.status !== "open") continue;
    const days = daysUntil(r.answer_by, today);
    if (days < 0) counts.overdue += 1;
    else if (days <= 3) counts.within3 += 1;
    else if (days <= 7) counts.within7 += 1;
    else counts.later += 1;
  }
  return counts;
}

/** Why the referral has its rank, in words. */
export function rankReason(r: ReferralView, locale: Locale): string {
  const base = { rank: r.rank, category: r.category, days: r.days_waiting };
  switch (r.standing.kind) {
    case "priority_quota":
      return translate(locale, "rank.priority_quota", { ...base, seat: r.standing.seat, seats: r.standing.seats });
    case "within_places":
      return translate(locale, "rank.within_places", base);
    case "displaced_by_priority_quota":
      return translate(locale, "rank.displaced_by_priority_quota", base);
    case "waiting":
      return translate(locale, "rank.waiting", base);
  }
}

/** The window of rows to draw for a virtualized list: first index and count. */
export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { first: number; count: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { first, count: Math.max(0, last - first) };
}

/** The i18n key naming a referral category (1 to 5, checked by the desktop core). */
export function categoryKey(category: number): MessageKey {
  return `category.${Math.min(5, Math.max(1, Math.trunc(category))) as 1 | 2 | 3 | 4 | 5}`;
}

/** A service refusal code kept in the outbox, in words when the screens know it (an unknown
 * code is shown as it came, never dropped). */
export function outboxRefusalText(code: string, locale: Locale): string {
  const known = (OUTBOX_REFUSAL_CODES as readonly string[]).includes(code);
  return known ? translate(locale, `outbox.${code}` as MessageKey) : code;
}

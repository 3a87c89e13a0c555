import type { ReferralView, ReferralStatus } from "./bindings";

/** Every referral status, in the order the screens list them. */
export const STATUSES: readonly ReferralStatus[] = ["open", "accepted", "refused", "no_answer", "closed"];

export type StatusCounts = Record<ReferralStatus, number>;

/** How the cached referrals of one vacancy stand, by status (zero for the absent ones). */
export function referralStatusCounts(referrals: readonly ReferralView[], vacancyId: string): StatusCounts {
  const counts: StatusCounts = { open: 0, accepted: 0, refused: 0, no_answer: 0, closed: 0 };
  for (const r of referrals) if (r.vacancy_id === vacancyId) counts[r.status] += 1;
  return counts;
}

/** The statuses that have any referral, in the screens' order, with their counts. */
export function nonZero(counts: StatusCounts): [ReferralStatus, number][] {
  return STATUSES.filter((s) => counts[s] > 0).map((s) => [s, counts[s]]);
}

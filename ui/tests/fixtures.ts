import type { ReferralView } from "../src/lib/bindings";

/** A cached referral for the tests: synthetic values, any of them overridden. */
export function referral(overrides: Partial<ReferralView>): ReferralView {
  return {
    referral_id: "r",
    vacancy_id: "v",
    status: "open",
    answer_by: "2026-06-10",
    // Midnight in Québec (UTC−4 in June) ending June 10.
    answer_deadline: "2026-06-11T04:00:00Z",
    label: "Zoé T.",
    birth_date: "2024-01-01",
    desired_entry_date: "2026-09-01",
    age_class: "from_18_months_to_4_years",
    category: 5,
    priority: false,
    sibling_referral_id: null,
    rank: 1,
    category_order_rank: 1,
    days_waiting: 10,
    standing: { kind: "within_places" },
    pending_outcome: null,
    ...overrides,
  };
}

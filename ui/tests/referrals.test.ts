import { describe, expect, it } from "vitest";
import type { ReferralView } from "../src/lib/bindings";
import { referral } from "./fixtures";
import { categoryKey, countByDeadline, filterAndSort, NO_FILTERS, rankReason, visibleWindow } from "../src/lib/referrals";

const list = [
  referral({ referral_id: "a", label: "Zoé T.", rank: 3, answer_by: "2026-06-12", category: 4 }),
  referral({ referral_id: "b", label: "Émile B.", rank: 1, answer_by: "2026-06-15", priority: true, age_class: "under_18_months" }),
  referral({ referral_id: "c", label: "Adam C.", rank: 2, answer_by: "2026-06-05", status: "accepted", days_waiting: 90 }),
];
const ids = (l: ReferralView[]) => l.map((r) => r.referral_id);

describe("filters and sorting", () => {
  it("sorts by deadline, rank, waiting time and name (accents in French order)", () => {
    expect(ids(filterAndSort(list, NO_FILTERS, "deadline", "fr-CA"))).toEqual(["c", "a", "b"]);
    expect(ids(filterAndSort(list, NO_FILTERS, "rank", "fr-CA"))).toEqual(["b", "c", "a"]);
    // Equal waits fall back to the name: Émile before Zoé.
    expect(ids(filterAndSort(list, NO_FILTERS, "waiting", "fr-CA"))).toEqual(["c", "b", "a"]);
    expect(ids(filterAndSort(list, NO_FILTERS, "label", "fr-CA"))).toEqual(["c", "b", "a"]);
  });
  it("applies every filter", () => {
    expect(ids(filterAndSort(list, { ...NO_FILTERS, priority: "only" }, "rank", "fr-CA"))).toEqual(["b"]);
    expect(ids(filterAndSort(list, { ...NO_FILTERS, priority: "none" }, "rank", "fr-CA"))).toEqual(["c", "a"]);
    expect(ids(filterAndSort(list, { ...NO_FILTERS, status: "accepted" }, "rank", "fr-CA"))).toEqual(["c"]);
    expect(ids(filterAndSort(list, { ...NO_FILTERS, category: 4 }, "rank", "fr-CA"))).toEqual(["a"]);
    expect(ids(filterAndSort(list, { ...NO_FILTERS, ageClass: "under_18_months" }, "rank", "fr-CA"))).toEqual(["b"]);
  });
  it("does not reorder the caller's array", () => {
    const before = ids(list);
    filterAndSort(list, NO_FILTERS, "label", "fr-CA");
    expect(ids(list)).toEqual(before);
  });
});

describe("home counts", () => {
  it("counts only open referrals, by days left", () => {
    const counts = countByDeadline(
      [
        referral({ answer_by: "2026-06-09" }),
        referral({ answer_by: "2026-06-10" }),
        referral({ answer_by: "2026-06-13" }),
        referral({ answer_by: "2026-06-17" }),
        referral({ answer_by: "2026-06-18" }),
        referral({ answer_by: "2026-06-01", status: "closed" }),
      ],
      "2026-06-10",
    );
    expect(counts).toEqual({ overdue: 1, within3: 2, within7: 1, later: 1 });
  });
});

describe("rank reason in words", () => {
  it("names the category, the wait and the priority seat", () => {
    expect(rankReason(referral({ rank: 4, category: 2, days_waiting: 120 }), "fr-CA")).toBe(
      "Rang 4 : catégorie 2, 120 jours depuis la date d’entrée souhaitée",
    );
    expect(
      rankReason(referral({ rank: 1, standing: { kind: "priority_quota", seat: 1, seats: 2 } }), "en-CA"),
    ).toBe("Rank 1: priority place 1 of 2, 10 days since the desired entry date");
  });
});

describe("virtualized window", () => {
  it("draws only the rows in view plus a margin", () => {
    expect(visibleWindow(0, 520, 52, 5000)).toEqual({ first: 0, count: 18 });
    expect(visibleWindow(52 * 1000, 520, 52, 5000)).toEqual({ first: 992, count: 26 });
    expect(visibleWindow(52 * 4995, 520, 52, 5000)).toEqual({ first: 4987, count: 13 });
  });
});

describe("category names", () => {
  it("has a key for every category and clamps anything else", () => {
    expect([1, 2, 3, 4, 5].map(categoryKey)).toEqual(["category.1", "category.2", "category.3", "category.4", "category.5"]);
    expect(categoryKey(9)).toBe("category.5");
    expect(categoryKey(0)).toBe("category.1");
  });
});

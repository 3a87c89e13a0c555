import { describe, expect, it } from "vitest";
import type { ReferralView } from "../src/lib/bindings";
import { referral } from "./fixtures";
import {
  categoryKey,
  countByDeadline,
  filterAndSort,
  NO_FILTERS,
  outboxRefusalText,
  rankReason,
  urgencyTier,
  visibleWindow,
} from "../src/lib/referrals";
import { OUTBOX_REFUSAL_CODES, REFUSAL_REASONS } from "../src/lib/bindings";
import { DICTIONARIES, LOCALES } from "../src/lib/i18n";

const list = [
  referral({ referral_id: "a", label: "Zoé T.", rank: 3, answer_by: "2026-06-12", answer_deadline: "2026-06-13T04:00:00Z", category: 4 }),
  referral({
    referral_id: "b",
    label: "Émile B.",
    rank: 1,
    answer_by: "2026-06-15",
    answer_deadline: "2026-06-16T04:00:00Z",
    priority: true,
    age_class: "under_18_months",
  }),
  referral({
    referral_id: "c",
    label: "Adam C.",
    rank: 2,
    answer_by: "2026-06-05",
    answer_deadline: "2026-06-06T04:00:00Z",
    status: "accepted",
    days_waiting: 90,
  }),
];
const JUNE_1 = new Date("2026-06-01T12:00:00Z");
const ids = (l: ReferralView[]) => l.map((r) => r.referral_id);

describe("filters and sorting", () => {
  it("sorts by deadline, rank, waiting time and name (accents in French order)", () => {
    // Open offers nearest their deadline first; the accepted one, settled, last.
    expect(ids(filterAndSort(list, NO_FILTERS, "deadline", "fr-CA", JUNE_1))).toEqual(["a", "b", "c"]);
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

describe("urgency", () => {
  const open = (id: string, deadline: string, extra = {}) =>
    referral({ referral_id: id, label: id, answer_deadline: deadline, ...extra });
  const urgent = [
    open("settled", "2026-06-02T04:00:00Z", { status: "no_answer" }),
    open("later", "2026-06-09T04:00:00Z"),
    open("answered", "2026-06-03T04:00:00Z", { pending_outcome: { kind: "accepted" } }),
    open("past", "2026-06-01T04:00:00Z"),
    open("soonest", "2026-06-04T04:00:00Z"),
    open("soon", "2026-06-05T04:00:00Z"),
  ];
  it("puts running offers without an answer first, nearest deadline first", () => {
    expect(ids(filterAndSort(urgent, NO_FILTERS, "deadline", "fr-CA", JUNE_1))).toEqual([
      "soonest",
      "soon",
      "later",
      "answered",
      "past",
      "settled",
    ]);
  });
  it("does not depend on the order the list came in", () => {
    const reversed = [...urgent].reverse();
    expect(ids(filterAndSort(reversed, NO_FILTERS, "deadline", "fr-CA", JUNE_1))).toEqual(
      ids(filterAndSort(urgent, NO_FILTERS, "deadline", "fr-CA", JUNE_1)),
    );
  });
  it("moves an offer down once its deadline has passed", () => {
    const offer = open("x", "2026-06-04T04:00:00Z");
    expect(urgencyTier(offer, new Date("2026-06-04T03:59:59Z"))).toBe(0);
    expect(urgencyTier(offer, new Date("2026-06-04T04:00:00Z"))).toBe(2);
  });
});

describe("refusals in words", () => {
  for (const locale of LOCALES) {
    const dictionary: Record<string, string | undefined> = DICTIONARIES[locale];
    it(`${locale} has a text for every refusal reason and every outbox refusal code`, () => {
      for (const reason of REFUSAL_REASONS) expect(dictionary[`refusal.${reason}`]?.trim(), reason).toBeTruthy();
      for (const code of OUTBOX_REFUSAL_CODES) expect(dictionary[`outbox.${code}`]?.trim(), code).toBeTruthy();
    });
  }
  it("has no outbox text for a code the service does not send", () => {
    const codes = new Set<string>(OUTBOX_REFUSAL_CODES.map((code) => `outbox.${code}`));
    const texts = Object.keys(DICTIONARIES["fr-CA"]).filter((key) => key.startsWith("outbox."));
    expect(texts.filter((key) => !codes.has(key))).toEqual([]);
  });
  it("says a late answer in words and shows an unknown code as it came", () => {
    expect(outboxRefusalText("offer_expired", "fr-CA")).toMatch(/après l’échéance/);
    expect(outboxRefusalText("offer_expired", "en-CA")).toMatch(/after the offer's deadline/);
    expect(outboxRefusalText("something_new", "en-CA")).toBe("something_new");
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

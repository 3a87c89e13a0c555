import { describe, expect, it } from "vitest";
import type { BreachView, PlanGroupView, PlacedView, SeriesView } from "../src/lib/bindings";
import { translate, type MessageKey, type Params } from "../src/lib/i18n";
import {
  canSave,
  chartGeometry,
  columnLayout,
  daysBetween,
  leftOutReason,
  moveMessages,
  moveTargets,
  niceMax,
  rejectedLineMessage,
  setupProblemMessage,
} from "../src/lib/groups";

const fr = (key: MessageKey, params?: Params) => translate("fr-CA", key, params);
const en = (key: MessageKey, params?: Params) => translate("en-CA", key, params);
const iso = (d: string) => d;

function child(label: string, key = label): PlacedView {
  return {
    key,
    label,
    birth_date: "2025-01-01",
    age_class: "from_18_months_to_4_years",
    arrival: "2026-09-01",
    departure: null,
    priority: 1,
    reason: "room_in_group",
    referral: false,
  };
}

describe("chart scaling", () => {
  const series: SeriesView = {
    subject: { kind: "group", name: "Lutins" },
    steps: [
      { from: "2026-09-01", to: "2026-12-31", planned: 6, permitted: 8, breach_days: 0 },
      { from: "2027-01-01", to: "2027-08-31", planned: 9, permitted: 8, breach_days: 243 },
    ],
  };
  const box = { width: 400, height: 130, left: 30, bottom: 20, top: 10 };
  const g = chartGeometry(series, "2026-09-01", "2027-08-31", box);

  it("rounds the top of the axis up to 1, 2 or 5 times a power of ten", () => {
    expect([niceMax(0), niceMax(1), niceMax(3), niceMax(9), niceMax(16), niceMax(100), niceMax(101)]).toEqual([
      1, 1, 5, 10, 20, 100, 200,
    ]);
    expect(g.yMax).toBe(10);
    expect(g.ticks.map((t) => t.value)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(g.ticks.map((t) => t.y)).toEqual([110, 90, 70, 50, 30, 10]);
    const twenty = chartGeometry({ ...series, steps: [{ ...series.steps[0]!, planned: 16 }] }, "2026-09-01", "2027-08-31", box);
    expect(twenty.ticks.map((t) => t.value)).toEqual([0, 5, 10, 15, 20]);
  });

  it("maps the first day to the left edge, the year's end to the right, values from the bottom", () => {
    // 6 children of 10 on a 100-pixel plot under a 10-pixel margin: 50 px from the top.
    expect(g.planned.startsWith("M30,50 ")).toBe(true);
    expect(g.planned.endsWith("H400")).toBe(true);
    // 8 places: 30 px from the top, all year.
    expect(g.permitted).toMatch(/^M30,30 H[\d.]+ L[\d.]+,30 H400$/);
  });

  it("marks only the steps with breach days, over exactly their days", () => {
    expect(g.breaches).toHaveLength(1);
    const days = daysBetween("2026-09-01", "2027-08-31") + 1;
    const band = g.breaches[0]!;
    expect(band.x).toBeCloseTo(30 + (daysBetween("2026-09-01", "2027-01-01") / days) * 370, 0);
    expect(band.x + band.width).toBeCloseTo(400, 0);
    expect(band.days).toBe(243);
  });

  it("labels each month of the year once", () => {
    expect(g.months).toHaveLength(12);
    expect(g.months[0]).toEqual({ x: 30, date: "2026-09-01" });
    expect(g.months[11]!.date).toBe("2027-08-01");
  });
});

describe("group columns", () => {
  const groups: PlanGroupView[] = [
    { name: "Lutins", classes: ["from_18_months_to_4_years"], capacity: 2, educators: 1, children: [child("Zoé T."), child("Émile B.")] },
    { name: "Castors", classes: ["from_18_months_to_4_years"], capacity: 8, educators: 1, children: [] },
  ];

  it("keeps the installation's order, sorts children in the locale's order and says when a group is full", () => {
    const columns = columnLayout(groups, "fr-CA");
    expect(columns.map((c) => c.name)).toEqual(["Lutins", "Castors"]);
    expect(columns[0]!.children.map((c) => c.label)).toEqual(["Émile B.", "Zoé T."]);
    expect(columns.map((c) => [c.count, c.full])).toEqual([
      [2, true],
      [0, false],
    ]);
  });

  it("offers every other group as a move target, and every group to a child left out", () => {
    expect(moveTargets(groups, "Lutins")).toEqual(["Castors"]);
    expect(moveTargets(groups, null)).toEqual(["Lutins", "Castors"]);
  });
});

describe("drag validation messages", () => {
  const breaches: BreachView[] = [
    { code: "group_age_class", group: "Poussins", class: "from_18_months_to_4_years", from: "2026-09-01", to: "2027-08-31", found: 1, allowed: 0 },
    { code: "group_ratio", group: "Poussins", class: null, from: "2027-01-05", to: "2027-08-31", found: 2, allowed: 1 },
    { code: "permit", group: null, class: "under_18_months", from: "2027-02-01", to: "2027-03-01", found: 6, allowed: 5 },
  ];

  it("names the group, the rule, the figures and the days, in French and English", () => {
    expect(moveMessages(breaches, fr, iso)).toEqual([
      "Poussins : n’admet pas « 18 mois à 4 ans » (enfants concernés : 1), du 2026-09-01 au 2027-08-31",
      "Poussins : 2 éducatrices requises pour 1 prévues, du 2027-01-05 au 2027-08-31",
      "Permis : 6 enfants de « Moins de 18 mois » pour 5 places, du 2027-02-01 au 2027-03-01",
    ]);
    expect(moveMessages(breaches.slice(1, 2), en, iso)).toEqual([
      "Poussins: 2 educators needed for 1 planned, from 2027-01-05 to 2027-08-31",
    ]);
  });

  it("says nothing for a move that breaks nothing (the drop is allowed)", () => {
    expect(moveMessages([], fr, iso)).toEqual([]);
  });

  it("explains a child left out with each group's blocking rule", () => {
    const lines = leftOutReason(
      {
        key: "e:1",
        label: "Léa R.",
        birth_date: "2025-01-01",
        priority: 3,
        reason: "no_room",
        classes: [],
        blocked: [{ group: "Lutins", on: "2026-09-01", rule: "group_capacity" }],
      },
      fr,
      iso,
    );
    expect(lines).toEqual(["Aucun groupe n’a de place pour lui toute l’année.", "Lutins : complet le 2026-09-01"]);
  });
});

describe("editor and import messages", () => {
  it("puts a setup problem in words with its group's name, or its number when unnamed", () => {
    const over = { code: "group_over_permit", group: 0, class: null, places: 17, allowed: 16 } as const;
    expect(setupProblemMessage(over, ["Lutins"], fr)).toBe(
      "Lutins : 17 places, alors que le permis en donne 16 à ses groupes d’âge.",
    );
    expect(setupProblemMessage({ ...over, code: "group_without_educator" }, ["  "], en)).toBe(
      "Group 1: plan at least one educator.",
    );
    expect(
      setupProblemMessage({ code: "permit_over_installation_cap", group: null, class: null, places: 101, allowed: 100 }, [], en),
    ).toBe("The permit totals 101 places; an installation holds at most 100.");
  });

  it("gives every rejected line its number and reason", () => {
    expect(rejectedLineMessage({ line: 12, code: "wrong_field_count", expected: 4, found: 3 }, fr)).toBe(
      "Ligne 12 : 3 champs au lieu de 4",
    );
    expect(rejectedLineMessage({ line: 7, code: "bad_birth_date", expected: null, found: null }, en)).toBe(
      "Line 7: birth date missing or invalid",
    );
  });

  it("allows saving only a preview without a rejected line", () => {
    const preview = { encoding: "utf8", delimiter: ";", ignored_columns: [], rows: 1, children: [{ label: "A", birth_date: "2025-01-01", expected_departure: null, current_group: null, support_factor: null }], rejected: [] } as const;
    expect(canSave(null)).toBe(false);
    expect(canSave({ ...preview, children: [...preview.children], ignored_columns: [], rejected: [] })).toBe(true);
    expect(
      canSave({ ...preview, children: [...preview.children], ignored_columns: [], rejected: [{ line: 2, code: "missing_name", expected: null, found: null }] }),
    ).toBe(false);
  });
});

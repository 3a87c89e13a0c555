import { describe, expect, it } from "vitest";
import type { AcceptancePreview, BreachView, HorizonView, PlanGroupView, PlanView, PlacedView, SeriesView } from "../src/lib/bindings";
import { translate, type MessageKey, type Params } from "../src/lib/i18n";
import {
  canSave,
  chartGeometry,
  columnLayout,
  daysBetween,
  leftOutReason,
  horizonRows,
  horizonTitle,
  moveMessages,
  moveTargets,
  planChildren,
  previewVerdict,
  siblingWishText,
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
    { code: "group_age_class", group: "Poussins", class: "from_18_months_to_4_years", from: "2026-09-01", to: "2027-08-31", found: 1, allowed: 0, causes: [] },
    { code: "group_ratio", group: "Poussins", class: null, from: "2027-01-05", to: "2027-08-31", found: 2, allowed: 1, causes: [] },
    { code: "permit", group: null, class: "under_18_months", from: "2027-02-01", to: "2027-03-01", found: 6, allowed: 5, causes: [] },
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
        breaches: [],
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

describe("a refused move names the child and the threshold", () => {
  it("words the child moved first, then the others whose day it is, in French and English", () => {
    const breach: BreachView = {
      code: "group_ratio",
      group: "Poussins",
      class: null,
      from: "2027-01-05",
      to: "2027-08-31",
      found: 2,
      allowed: 1,
      causes: [
        { key: "e:3", label: "Léa R.", code: "moved", on: "2027-01-05", class: null },
        { key: "e:4", label: "Noah C.", code: "changes_class", on: "2027-01-05", class: "from_18_months_to_4_years" },
      ],
    };
    expect(moveMessages([breach], fr, iso)).toEqual([
      "Poussins : 2 éducatrices requises pour 1 prévues, du 2027-01-05 au 2027-08-31 — en cause : Léa R. (l’enfant déplacé), Noah C., qui passe à « 18 mois à 4 ans » le 2027-01-05",
    ]);
    expect(moveMessages([breach], en, iso)).toEqual([
      'Poussins: 2 educators needed for 1 planned, from 2027-01-05 to 2027-08-31 — caused by: Léa R. (the child moved), Noah C., who moves up to "18 months to 4 years" on 2027-01-05',
    ]);
  });
});

describe("a refused pin", () => {
  it("says what the pinned group would break, naming the child", () => {
    const lines = leftOutReason(
      {
        key: "e:5",
        label: "Bébé R.",
        birth_date: "2026-03-01",
        priority: 1,
        reason: "pinned_group_cannot_take_it",
        classes: [],
        blocked: [{ group: "Lutins", on: "2026-09-01", rule: "group_capacity" }],
        breaches: [
          {
            code: "group_capacity",
            group: "Lutins",
            class: null,
            from: "2026-09-01",
            to: "2027-08-31",
            found: 9,
            allowed: 8,
            causes: [{ key: "e:5", label: "Bébé R.", code: "moved", on: "2026-09-01", class: null }],
          },
        ],
      },
      en,
      iso,
    );
    expect(lines.at(-1)).toBe("Lutins: 9 children for 8 places, from 2026-09-01 to 2027-08-31 — caused by: Bébé R. (the child moved)");
  });
});

describe("if I accept this child", () => {
  const horizon = (months: number, clipped: boolean): HorizonView => ({
    months,
    from: "2026-09-01",
    to: clipped ? "2027-08-31" : "2026-11-30",
    clipped,
    groups: [
      { name: "Lutins", capacity: 8, educators: 1, without: { children: 8, educators_needed: 1 }, with: { children: 8, educators_needed: 1 } },
      { name: "Castors", capacity: 8, educators: 1, without: { children: 0, educators_needed: 0 }, with: { children: 1, educators_needed: 1 } },
    ],
    classes: [{ class: "from_18_months_to_4_years", places: 16, without: 8, with: 9 }],
    breaches: [],
  });
  const placed: AcceptancePreview = {
    key: "r:1",
    label: "Léo T.",
    arrival: "2026-09-01",
    group: "Castors",
    left_out: null,
    displaced: [],
    horizons: [horizon(3, false)],
  };

  it("says which group the child would go into, or why no group can take it", () => {
    expect(previewVerdict(placed, fr, iso)).toEqual(["Léo T. irait dans le groupe Castors dès le 2026-09-01."]);
    expect(previewVerdict(placed, en, iso)).toEqual(["Léo T. would go into group Castors from 2026-09-01."]);
    const refused: AcceptancePreview = {
      ...placed,
      group: null,
      displaced: ["Zoé R."],
      left_out: {
        key: "r:1",
        label: "Léo T.",
        birth_date: "2024-10-01",
        priority: 9,
        reason: "no_room",
        classes: [],
        blocked: [{ group: "Poussins", on: "2026-10-01", rule: "permit" }],
        breaches: [],
      },
    };
    expect(previewVerdict(refused, fr, iso)).toEqual([
      "Aucun groupe ne peut accueillir Léo T. :",
      "Aucun groupe n’a de place pour lui toute l’année.",
      "Poussins : places du permis épuisées le 2026-10-01",
      "Avec cet enfant, ces enfants n’auraient plus de place : Zoé R.",
    ]);
  });

  it("lays out each group without and with the child, marking what changes and what is full", () => {
    expect(horizonRows(horizon(3, false))).toEqual([
      { name: "Lutins", capacity: 8, educators: 1, without: 8, with: 8, educatorsWith: 1, changed: false, full: true },
      { name: "Castors", capacity: 8, educators: 1, without: 0, with: 1, educatorsWith: 1, changed: true, full: false },
    ]);
    expect(horizonTitle(horizon(3, false), fr, iso)).toBe("3 prochains mois (du 2026-09-01 au 2026-11-30)");
    expect(horizonTitle(horizon(12, true), en, iso)).toBe("Next 12 months (2026-09-01 to 2027-08-31) — the planned year ends sooner");
  });
});

describe("sibling wishes", () => {
  it("offers every child of the plan by label and words each wish", () => {
    const plan = {
      groups: [{ name: "Lutins", classes: [], capacity: 8, educators: 1, children: [{ key: "e:2", label: "Zoé R." }, { key: "e:1", label: "Alice R." }] }],
      left_out: [{ key: "r:9", label: "Bruno R." }],
    } as unknown as PlanView;
    expect(planChildren(plan).map((c) => c.label)).toEqual(["Alice R.", "Bruno R.", "Zoé R."]);
    const wish = { a: "e:1", a_label: "Alice R.", b: "r:9", b_label: "Bruno R.", together: false, met: true };
    expect(siblingWishText(wish, fr)).toBe("Alice R. et Bruno R. : séparés");
    expect(siblingWishText({ ...wish, together: true }, en)).toBe("Alice R. and Bruno R.: together");
  });
});

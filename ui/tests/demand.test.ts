import { describe, expect, it } from "vitest";
import type { DemandCell } from "../src/lib/bindings";
import { axisMax, buildChart, formatCount, formatMonth, parseCount } from "../src/lib/demand";

const cell = (start_month: string, age_class: DemandCell["age_class"], children: string): DemandCell => ({
  start_month,
  age_class,
  children,
});

describe("demand counts", () => {
  it("reads the service's counts, suppressed ones drawn at their highest possible value", () => {
    expect(parseCount("12")).toEqual({ value: 12, suppressed: false });
    expect(parseCount("0")).toEqual({ value: 0, suppressed: false });
    expect(parseCount("<5")).toEqual({ value: 4, suppressed: true });
    for (const bad of ["", "-3", "1.5", "<6", "douze", "5 "]) expect(parseCount(bad), bad).toBeNull();
  });

  it("shows <5 as the service sends it, and numbers in the locale", () => {
    expect(formatCount("<5", "fr-CA")).toBe("<5");
    expect(formatCount("<5", "en-CA")).toBe("<5");
    expect(formatCount("1234", "en-CA")).toBe("1,234");
    expect(formatCount("1234", "fr-CA").replace(/[\u00a0\u202f]/g, " ")).toBe("1 234");
    expect(formatCount("n/a", "fr-CA")).toBe("n/a");
  });

  it("names months in the locale without shifting them with the time zone", () => {
    expect(formatMonth("2026-09", "fr-CA")).toBe("septembre 2026");
    expect(formatMonth("2026-01", "en-CA")).toBe("January 2026");
    expect(formatMonth("2026-13", "en-CA")).toBe("2026-13");
  });
});

describe("demand chart", () => {
  it("tops the axis at the next 1, 2 or 5 × 10ⁿ, never under 5", () => {
    expect([0, 1, 4, 5, 6, 10, 11, 20, 21, 50, 51, 999].map(axisMax)).toEqual([
      5, 5, 5, 5, 10, 10, 20, 20, 50, 50, 100, 1000,
    ]);
  });

  it("groups bars by month in time order, classes youngest first, heights on the axis", () => {
    const chart = buildChart([
      cell("2026-10", "four_years", "<5"),
      cell("2026-09", "from_18_months_to_4_years", "8"),
      cell("2026-09", "under_18_months", "16"),
    ]);
    expect(chart.axisMax).toBe(20);
    expect(chart.ticks).toEqual([0, 10, 20]);
    expect(chart.classes).toEqual(["under_18_months", "from_18_months_to_4_years", "four_years"]);
    expect(chart.groups.map((g) => g.month)).toEqual(["2026-09", "2026-10"]);
    const [september, october] = chart.groups;
    expect(september?.bars.map((b) => [b.ageClass, b.children, b.height])).toEqual([
      ["under_18_months", "16", 0.8],
      ["from_18_months_to_4_years", "8", 0.4],
    ]);
    expect(october?.bars).toEqual([
      { ageClass: "four_years", children: "<5", value: 4, suppressed: true, height: 0.2 },
    ]);
  });

  it("draws only suppressed counts on the smallest axis, and nothing it cannot read", () => {
    const chart = buildChart([cell("2026-09", "five_and_over", "<5"), cell("2026-09", "four_years", "??")]);
    expect(chart.axisMax).toBe(5);
    expect(chart.ticks).toEqual([0, 5]);
    expect(chart.classes).toEqual(["five_and_over"]);
    expect(chart.groups[0]?.bars[0]?.height).toBeCloseTo(0.8);
    expect(buildChart([]).groups).toEqual([]);
  });
});

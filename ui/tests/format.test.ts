import { describe, expect, it } from "vitest";
import { daysUntil, formatDate, formatNumber, localToday } from "../src/lib/format";

const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("dates and numbers", () => {
  it("formats a calendar date in each language without shifting the day", () => {
    expect(formatDate("2026-09-05", "fr-CA")).toBe("5 septembre 2026");
    expect(formatDate("2026-09-05", "en-CA")).toBe("September 5, 2026");
    expect(formatDate("2027-01-01", "fr-CA")).toBe("1 janvier 2027");
  });
  it("shows a malformed date as it is", () => {
    expect(formatDate("not a date", "fr-CA")).toBe("not a date");
  });
  it("formats numbers for the locale", () => {
    expect(formatNumber(1234567, "en-CA")).toBe("1,234,567");
    // French groups thousands with a no-break space (U+00A0 or U+202F, by ICU version).
    expect(spaces(formatNumber(1234567, "fr-CA"))).toBe("1 234 567");
  });
  it("counts calendar days across months and years", () => {
    expect(daysUntil("2026-03-01", "2026-02-28")).toBe(1);
    expect(daysUntil("2027-01-02", "2026-12-31")).toBe(2);
    expect(daysUntil("2026-06-01", "2026-06-10")).toBe(-9);
  });
  it("takes today in local time", () => {
    expect(localToday(new Date(2026, 0, 9, 23, 59))).toBe("2026-01-09");
  });
});

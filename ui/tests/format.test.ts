import { describe, expect, it } from "vitest";
import { daysUntil, formatDate, formatNumber, formatTimeLeft, localToday, timeLeft } from "../src/lib/format";

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

describe("time left to answer", () => {
  const deadline = "2026-06-11T04:00:00Z";
  const at = (iso: string) => new Date(iso);
  it("counts days and hours down to the deadline instant", () => {
    expect(timeLeft(deadline, at("2026-06-08T01:30:00Z"))).toEqual({ kind: "left", days: 3, hours: 2 });
    expect(timeLeft(deadline, at("2026-06-10T20:00:00Z"))).toEqual({ kind: "left", days: 0, hours: 8 });
    // Exactly one hour before is still "1 h"; a second less is "less than an hour".
    expect(timeLeft(deadline, at("2026-06-11T03:00:00Z"))).toEqual({ kind: "left", days: 0, hours: 1 });
    expect(timeLeft(deadline, at("2026-06-11T03:00:01Z"))).toEqual({ kind: "under_an_hour" });
  });
  it("is expired at the deadline itself, not a second later", () => {
    expect(timeLeft(deadline, at("2026-06-11T03:59:59Z"))).toEqual({ kind: "under_an_hour" });
    expect(timeLeft(deadline, at("2026-06-11T04:00:00Z"))).toEqual({ kind: "expired" });
    expect(timeLeft(deadline, at("2026-07-01T00:00:00Z"))).toEqual({ kind: "expired" });
  });
  it("never promises time for an unreadable deadline", () => {
    expect(timeLeft("soon", at("2026-06-01T00:00:00Z"))).toEqual({ kind: "expired" });
  });
  it("says it in French and English", () => {
    expect(formatTimeLeft({ kind: "left", days: 3, hours: 2 }, "fr-CA")).toBe("3 j 2 h restants");
    expect(formatTimeLeft({ kind: "left", days: 3, hours: 2 }, "en-CA")).toBe("3 d 2 h left");
    expect(formatTimeLeft({ kind: "left", days: 0, hours: 8 }, "fr-CA")).toBe("8 h restantes");
    expect(formatTimeLeft({ kind: "left", days: 0, hours: 8 }, "en-CA")).toBe("8 h left");
    expect(formatTimeLeft({ kind: "under_an_hour" }, "fr-CA")).toBe("Moins d’une heure");
    expect(formatTimeLeft({ kind: "under_an_hour" }, "en-CA")).toBe("Less than an hour");
    expect(formatTimeLeft({ kind: "expired" }, "fr-CA")).toBe("Délai expiré");
    expect(formatTimeLeft({ kind: "expired" }, "en-CA")).toBe("Expired");
  });
});

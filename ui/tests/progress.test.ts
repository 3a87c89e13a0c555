import { describe, expect, it } from "vitest";
import { progressBar } from "../src/lib/progress";

describe("sync progress bar", () => {
  it("is referrals received of the announced total", () => {
    expect(progressBar({ pages: 1, referrals: 500, total: 2000, more: true })).toEqual({ value: 500, max: 2000, percent: 25 });
    expect(progressBar({ pages: 3, referrals: 1999, total: 2000, more: true }).percent).toBe(99);
  });

  it("is full once the sync is done, even with nothing to receive", () => {
    expect(progressBar({ pages: 4, referrals: 2000, total: 2000, more: false })).toEqual({ value: 2000, max: 2000, percent: 100 });
    expect(progressBar({ pages: 1, referrals: 0, total: 0, more: false })).toEqual({ value: 1, max: 1, percent: 100 });
  });

  it("is empty before the first page and never overflows", () => {
    expect(progressBar({ pages: 0, referrals: 0, total: 0, more: true })).toEqual({ value: 0, max: 1, percent: 0 });
    expect(progressBar({ pages: 2, referrals: 30, total: 20, more: true }).percent).toBe(100);
  });
});

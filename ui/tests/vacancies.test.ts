import { describe, expect, it } from "vitest";
import type { ReferralStatus } from "../src/lib/bindings";
import { referral as fixture } from "./fixtures";
import { nonZero, referralStatusCounts } from "../src/lib/vacancies";

const referral = (vacancy_id: string, status: ReferralStatus) =>
  fixture({ referral_id: `${vacancy_id}-${status}`, vacancy_id, status });

describe("referral status of a vacancy", () => {
  const cached = [
    referral("v1", "open"),
    referral("v1", "open"),
    referral("v1", "accepted"),
    referral("v1", "refused"),
    referral("v2", "open"),
    referral("v2", "no_answer"),
  ];

  it("counts only that vacancy's referrals, by status", () => {
    expect(referralStatusCounts(cached, "v1")).toEqual({ open: 2, accepted: 1, refused: 1, no_answer: 0, closed: 0 });
    expect(referralStatusCounts(cached, "v2")).toEqual({ open: 1, accepted: 0, refused: 0, no_answer: 1, closed: 0 });
  });

  it("is all zeros for a vacancy whose referrals are not synced yet", () => {
    expect(nonZero(referralStatusCounts(cached, "v3"))).toEqual([]);
  });

  it("lists the statuses present in a fixed order", () => {
    expect(nonZero(referralStatusCounts(cached, "v1"))).toEqual([
      ["open", 2],
      ["accepted", 1],
      ["refused", 1],
    ]);
    expect(nonZero(referralStatusCounts(cached, "v2"))).toEqual([
      ["open", 1],
      ["no_answer", 1],
    ]);
  });
});

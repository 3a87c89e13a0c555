import { describe, expect, it } from "vitest";
import type { HealthCheck } from "../src/lib/bindings";
import { healthText } from "../src/lib/health";
import { cliffKey } from "../src/lib/cliffs";
import { DICTIONARIES, LOCALES } from "../src/lib/i18n";

const line = (item: HealthCheck["item"], code: string, extra: Partial<HealthCheck> = {}): HealthCheck => ({
  item,
  state: "ok",
  code,
  at: null,
  count: null,
  ...extra,
});

describe("the start-up check's words", () => {
  it("says a locked keychain wipes nothing, in French and English", () => {
    expect(healthText(line("keychain", "keychain_locked"), "fr-CA")).toContain("Rien n’est effacé");
    expect(healthText(line("keychain", "keychain_locked"), "en-CA")).toContain("Nothing is wiped");
  });

  it("puts the date and the count in the line", () => {
    const expired = healthText(line("certificate", "expired", { at: "2026-12-08T17:00:00Z" }), "fr-CA");
    expect(expired).toContain("2026");
    expect(expired).toContain("nouveau code");
    expect(healthText(line("outbox", "pending", { count: 3 }), "en-CA")).toBe(
      "3 waiting: they go out with the next sync.",
    );
  });

  it("names an unknown refusal by its code rather than showing nothing", () => {
    expect(healthText(line("service", "certificate_refused"), "fr-CA")).toContain("certificate_refused");
    expect(healthText(line("cache", "cache_database"), "en-CA")).toContain("cache_database");
  });

  it("has every state, item and known code in both languages", () => {
    const codes: Record<HealthCheck["item"], string[]> = {
      keychain: ["ready", "keychain_locked", "keychain_unavailable", "other"],
      cache: ["ready", "not_enrolled", "wiped_requested", "wiped_revoked", "wiped_retention_expired", "wiped_key_missing", "wiped_unreadable", "wiped_other_daycare", "other"],
      certificate: ["valid", "renewal_due", "expires_soon", "expired", "not_enrolled"],
      service: ["reachable", "not_checked", "server_unreachable", "other"],
      last_sync: ["recent", "wipe_soon", "never"],
      outbox: ["empty", "pending", "conflicts", "unreadable"],
    };
    for (const locale of LOCALES) {
      for (const [item, list] of Object.entries(codes)) {
        expect(DICTIONARIES[locale]).toHaveProperty(`health.item.${item}`);
        for (const code of list) expect(DICTIONARIES[locale]).toHaveProperty(`health.${item}.${code}`);
      }
      for (const state of ["ok", "warning", "problem"]) expect(DICTIONARIES[locale]).toHaveProperty(`health.state.${state}`);
    }
  });
});

describe("the cliff banners", () => {
  it("tell a coming cliff from a passed one", () => {
    expect(cliffKey({ kind: "certificate_expiry", at: "x", passed: false })).toBe("cliff.certificate_expiry");
    expect(cliffKey({ kind: "certificate_expiry", at: "x", passed: true })).toBe("cliff.certificate_expiry_passed");
    expect(cliffKey({ kind: "offline_period_end", at: "x", passed: true })).toBe("cliff.offline_period_end_passed");
  });
});

import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/lib/bindings";
import { DICTIONARIES, LOCALES, errorKey, parseLocale, translate } from "../src/lib/i18n";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  const french = DICTIONARIES["fr-CA"];
  for (const locale of LOCALES) {
    const dictionary = DICTIONARIES[locale];
    it(`${locale} has exactly the French keys, none empty`, () => {
      expect(Object.keys(dictionary).sort()).toEqual(Object.keys(french).sort());
      for (const [key, text] of Object.entries(dictionary)) {
        expect(text.trim(), key).not.toBe("");
      }
    });
    it(`${locale} uses the same placeholders as French`, () => {
      for (const [key, text] of Object.entries(french)) {
        expect(placeholders(dictionary[key as keyof typeof french]), key).toEqual(placeholders(text));
      }
    });
  }
});

describe("error texts", () => {
  for (const locale of LOCALES) {
    it(`${locale} has a text for every error code the shell sends`, () => {
      const dictionary: Record<string, string | undefined> = DICTIONARIES[locale];
      for (const code of ERROR_CODES) {
        expect(dictionary[errorKey(code)]?.trim(), code).toBeTruthy();
      }
    });
  }
  it("has no text for a code the shell does not send", () => {
    const codes = new Set<string>(ERROR_CODES.map(errorKey));
    const texts = Object.keys(DICTIONARIES["fr-CA"]).filter((key) => key.startsWith("error."));
    expect(texts.filter((key) => !codes.has(key))).toEqual([]);
  });
});

describe("translate", () => {
  it("is French unless English was chosen", () => {
    expect(parseLocale(null)).toBe("fr-CA");
    expect(parseLocale("de-DE")).toBe("fr-CA");
    expect(parseLocale("en-CA")).toBe("en-CA");
    expect(translate(parseLocale(undefined), "nav.referrals")).toBe("Références");
  });
  it("fills placeholders and formats numbers for the locale", () => {
    expect(translate("en-CA", "home.cached", { count: 5000 })).toBe(
      "5,000 referrals in this computer's encrypted copy",
    );
    // French groups thousands with a no-break space (U+00A0 or U+202F, by ICU version).
    expect(translate("fr-CA", "home.cached", { count: 5000 }).replace(/[\u00a0\u202f]/g, " ")).toBe(
      "5 000 références dans la copie chiffrée de cet ordinateur",
    );
  });
  it("leaves an unknown placeholder visible rather than dropping it", () => {
    expect(translate("en-CA", "home.lastSync")).toBe("Last sync: {when}");
  });
});

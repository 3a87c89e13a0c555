import type { ErrorCode } from "../bindings";
import { en } from "./en";
import { fr, type MessageKey, type Messages } from "./fr";

export type { MessageKey } from "./fr";

/** The languages of the app; fr-CA is the default. */
export const LOCALES = ["fr-CA", "en-CA"] as const;
export type Locale = (typeof LOCALES)[number];

export const DICTIONARIES: Record<Locale, Messages> = { "fr-CA": fr, "en-CA": en };

export type Params = Record<string, string | number>;

/** The message for `key` in `locale`, with `{name}` placeholders filled (numbers localized). */
export function translate(locale: Locale, key: MessageKey, params: Params = {}): string {
  const text = DICTIONARIES[locale][key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? new Intl.NumberFormat(locale).format(value) : value;
  });
}

/** The text of an error code from the shell (`ErrorCode`, generated): a code without a French
 * text fails to compile, and tests/i18n.test.ts checks every code of `ERROR_CODES` in each
 * language at run time. */
export function errorKey(code: ErrorCode): MessageKey {
  return `error.${code}`;
}

/** The stored language, fr-CA unless English was chosen. */
export function parseLocale(stored: string | null | undefined): Locale {
  return LOCALES.find((l) => l === stored) ?? "fr-CA";
}

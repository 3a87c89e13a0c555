import { commands } from "../bindings";
import { parseLocale, translate, type Locale, type MessageKey, type Params } from "./index";

const STORAGE_KEY = "placeforte.locale";

/** The current language: a setting kept in the window's local storage (not personal data). */
export const i18n = $state({ locale: parseLocale(globalThis.localStorage?.getItem(STORAGE_KEY)) });

export function setLocale(locale: Locale): void {
  i18n.locale = locale;
  globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
  void tellShell(locale);
}

/** Tells the shell the language, which its desktop notifications are written in. */
export async function tellShell(locale: Locale = i18n.locale): Promise<void> {
  await commands.setLanguage(locale);
}

/** Translates in the current language (reactive in templates). */
export function t(key: MessageKey, params?: Params): string {
  return translate(i18n.locale, key, params);
}

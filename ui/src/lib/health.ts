import type { HealthCheck } from "./bindings";
import { DICTIONARIES, translate, type Locale, type MessageKey } from "./i18n";
import { formatInstant } from "./format";

/** What one line of the start-up check says, in `locale`: its own text for the codes it
 * knows, and for any other refusal the item's general text with the code. */
export function healthText(line: HealthCheck, locale: Locale): string {
  const own = `health.${line.item}.${line.code}`;
  const known = own in DICTIONARIES[locale];
  const key = (known ? own : `health.${line.item}.other`) as MessageKey;
  const params: Record<string, string | number> = { code: line.code };
  if (line.at) params.when = formatInstant(line.at, locale);
  if (line.count !== null) params.count = line.count;
  return key in DICTIONARIES[locale] ? translate(locale, key, params) : line.code;
}

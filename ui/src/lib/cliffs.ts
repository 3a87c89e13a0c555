import type { CliffWarning } from "./bindings";
import type { MessageKey } from "./i18n";

/** The banner's text for a cliff: coming, or passed (the certificate expired). */
export function cliffKey(warning: CliffWarning): MessageKey {
  return warning.passed ? `cliff.${warning.kind}_passed` : `cliff.${warning.kind}`;
}

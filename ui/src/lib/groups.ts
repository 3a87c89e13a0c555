// The group formation screen's logic, without the DOM: chart geometry, group columns, and the
// messages that put the domain's codes into words. The rules themselves stay in Rust: this only
// draws and words what the commands answer.
import type {
  AcceptancePreview,
  BlockedView,
  BreachCauseView,
  BreachView,
  HorizonView,
  ImportPreviewView,
  LeftOutView,
  PlanGroupView,
  PlanView,
  PlacedView,
  RejectedLineView,
  SeriesView,
  SetupProblem,
  SiblingWishView,
  StepView,
} from "./bindings";
import type { MessageKey, Params } from "./i18n";

export type Translate = (key: MessageKey, params?: Params) => string;

/** Days from one calendar date (`YYYY-MM-DD`) to another. */
export function daysBetween(from: string, to: string): number {
  const day = (s: string) => {
    const [y, m, d] = s.split("-").map(Number);
    return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) / 86_400_000;
  };
  return Math.round(day(to) - day(from));
}

/** A round top for the y axis (1, 2, 5 × 10ⁿ at or above `max`), never below 1. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= max) return factor * power;
  }
  return 10 * power;
}

export interface ChartBox {
  width: number;
  height: number;
  /** Room on the left for the axis labels, at the bottom for the months, at the top for the last label. */
  left: number;
  bottom: number;
  top: number;
}

export interface ChartGeometry {
  yMax: number;
  /** SVG path of the children present (a step line). */
  planned: string;
  /** SVG path of the places permitted. */
  permitted: string;
  /** Bands of the steps that have breach days. */
  breaches: { x: number; width: number; from: string; to: string; days: number }[];
  /** Horizontal grid lines with their value. */
  ticks: { y: number; value: number }[];
  /** The first of each month within the year. */
  months: { x: number; date: string }[];
}

/** Where each step of a series falls in the box, x by day over the year, y by children. */
export function chartGeometry(series: SeriesView, start: string, end: string, box: ChartBox): ChartGeometry {
  const days = Math.max(1, daysBetween(start, end) + 1);
  const plotWidth = box.width - box.left;
  const plotHeight = box.height - box.bottom - box.top;
  const yMax = niceMax(Math.max(0, ...series.steps.flatMap((s) => [s.planned, s.permitted])));
  const x = (date: string) => box.left + (Math.min(days, Math.max(0, daysBetween(start, date))) / days) * plotWidth;
  const xEnd = (date: string) => x(date) + plotWidth / days;
  const y = (value: number) => box.top + plotHeight - (value / yMax) * plotHeight;
  const path = (value: (s: StepView) => number) =>
    series.steps
      .map((s, i) => `${i === 0 ? "M" : "L"}${r(x(s.from))},${r(y(value(s)))} H${r(xEnd(s.to))}`)
      .join(" ");
  // 2 × 10ⁿ in quarters, 1 or 5 × 10ⁿ in fifths: whole numbers from 5 children up.
  const parts = String(yMax).startsWith("2") ? 4 : 5;
  const ticks = Array.from({ length: parts + 1 }, (_, i) => {
    const value = Math.round(((i * yMax) / parts) * 100) / 100;
    return { y: r(y(value)), value };
  });
  const months: ChartGeometry["months"] = [];
  const [sy, sm] = start.split("-").map(Number);
  for (let i = 0; i < 13; i++) {
    const month = ((sm ?? 1) - 1 + i) % 12;
    const year = (sy ?? 0) + Math.floor(((sm ?? 1) - 1 + i) / 12);
    const date = `${year}-${String(month + 1).padStart(2, "0")}-01`;
    if (date >= start && date <= end) months.push({ x: r(x(date)), date });
  }
  return {
    yMax,
    planned: path((s) => s.planned),
    permitted: path((s) => s.permitted),
    breaches: series.steps
      .filter((s) => s.breach_days > 0)
      .map((s) => ({ x: r(x(s.from)), width: r(xEnd(s.to) - x(s.from)), from: s.from, to: s.to, days: s.breach_days })),
    ticks,
    months,
  };
}

const r = (n: number) => Math.round(n * 10) / 10;

/** A series' title: its group's name or its age class. */
export function seriesTitle(series: SeriesView, t: Translate): string {
  return series.subject.kind === "group"
    ? t("chart.group", { name: series.subject.name })
    : t("chart.class", { class: t(`age.${series.subject.class}`) });
}

/** How full a column is over the year's start, and whether it holds more than its places. */
export interface Column extends PlanGroupView {
  count: number;
  full: boolean;
}

/** The group columns in the installation's order, children by label in the locale's order. */
export function columnLayout(groups: PlanGroupView[], locale: string): Column[] {
  const collator = new Intl.Collator(locale);
  return groups.map((g) => ({
    ...g,
    children: [...g.children].sort((a, b) => collator.compare(a.label, b.label)),
    count: g.children.length,
    full: g.children.length >= g.capacity,
  }));
}

/** The other groups a child may be moved to (the keyboard alternative to dragging). */
export function moveTargets(columns: PlanGroupView[], from: string | null): string[] {
  return columns.map((c) => c.name).filter((name) => name !== from);
}

/** Why a child is in its group, in words. */
export function placedReason(child: PlacedView, t: Translate): string {
  return t(`placed.${child.reason}`);
}

function blockedText(b: BlockedView, t: Translate, date: (iso: string) => string): string {
  return t(`blocking.${b.rule}`, { group: b.group, date: date(b.on) });
}

/** Why a child is left out, in words: the reason, then each group's blocking rule. */
export function leftOutReason(child: LeftOutView, t: Translate, date: (iso: string) => string): string[] {
  const classes = child.classes.map((c) => t(`age.${c}`)).join(", ");
  return [
    t(`leftOut.${child.reason}`, { classes }),
    ...child.blocked.map((b) => blockedText(b, t, date)),
    ...child.breaches.map((b) => breachMessage(b, t, date)),
  ];
}

/** One child who brings a breach about, in words. */
export function causeText(cause: BreachCauseView, t: Translate, date: (iso: string) => string): string {
  return t(`cause.${cause.code}`, {
    label: cause.label,
    date: date(cause.on),
    class: cause.class ? t(`age.${cause.class}`) : "",
  });
}

/** A breach in words: the rule, the figures, the days, then the children who cause it. */
export function breachMessage(b: BreachView, t: Translate, date: (iso: string) => string): string {
  const rule = t(`breach.${b.code}`, {
    group: b.group ?? "",
    class: b.class ? t(`age.${b.class}`) : "",
    from: date(b.from),
    to: date(b.to),
    found: b.found,
    allowed: b.allowed,
  });
  if (b.causes.length === 0) return rule;
  return t("breach.withCauses", { rule, causes: b.causes.map((c) => causeText(c, t, date)).join(", ") });
}

/** What a move would break, in words; an empty list means the group can take the child. */
export function moveMessages(breaches: BreachView[], t: Translate, date: (iso: string) => string): string[] {
  return breaches.map((b) => breachMessage(b, t, date));
}

/** "If I accept this child" in words: where the composer would put it, or why it has no place. */
export function previewVerdict(preview: AcceptancePreview, t: Translate, date: (iso: string) => string): string[] {
  const lines =
    preview.group !== null
      ? [t("preview.placed", { label: preview.label, group: preview.group, date: date(preview.arrival) })]
      : [t("preview.leftOut", { label: preview.label }), ...(preview.left_out ? leftOutReason(preview.left_out, t, date) : [])];
  if (preview.displaced.length > 0) lines.push(t("preview.displaced", { children: preview.displaced.join(", ") }));
  return lines;
}

/** A window's heading: its months and days, cut at the planned year's end when it reaches past. */
export function horizonTitle(h: HorizonView, t: Translate, date: (iso: string) => string): string {
  const title = t("preview.horizon", { months: h.months, from: date(h.from), to: date(h.to) });
  return h.clipped ? `${title} ${t("preview.clipped")}` : title;
}

/** One group's line of a window: children and educators at the busiest, without and with. */
export interface HorizonRow {
  name: string;
  capacity: number;
  educators: number;
  without: number;
  with: number;
  educatorsWith: number;
  /** The child changes this group's figures. */
  changed: boolean;
  /** With the child, every place of the group is taken. */
  full: boolean;
}

export function horizonRows(h: HorizonView): HorizonRow[] {
  return h.groups.map((g) => ({
    name: g.name,
    capacity: g.capacity,
    educators: g.educators,
    without: g.without.children,
    with: g.with.children,
    educatorsWith: g.with.educators_needed,
    changed: g.with.children !== g.without.children || g.with.educators_needed !== g.without.educators_needed,
    full: g.with.children >= g.capacity,
  }));
}

/** Every child of the plan, placed or left out, by label: the sibling form's choices. */
export function planChildren(plan: PlanView): { key: string; label: string }[] {
  const all = [...plan.groups.flatMap((g) => g.children), ...plan.left_out].map((c) => ({ key: c.key, label: c.label }));
  return all.sort((a, b) => a.label.localeCompare(b.label) || a.key.localeCompare(b.key));
}

/** A sibling wish in words. */
export function siblingWishText(w: SiblingWishView, t: Translate): string {
  return t(w.together ? "siblings.together" : "siblings.apart", { a: w.a_label, b: w.b_label });
}

/** A problem of the groups editor in words, naming its group. */
export function setupProblemMessage(problem: SetupProblem, names: string[], t: Translate): string {
  const group = problem.group === null ? "" : (names[problem.group]?.trim() || t("groups.unnamed", { n: problem.group + 1 }));
  return t(`setup.${problem.code}`, {
    group,
    class: problem.class ? t(`age.${problem.class}`) : "",
    places: problem.places ?? 0,
    allowed: problem.allowed ?? 0,
  });
}

/** A rejected line of the import in words. */
export function rejectedLineMessage(line: RejectedLineView, t: Translate): string {
  return t("import.line", {
    line: line.line,
    reason: t(`reject.${line.code}`, { expected: line.expected ?? 0, found: line.found ?? 0 }),
  });
}

/** Whether a preview may be saved: the import is all or nothing. */
export function canSave(preview: ImportPreviewView | null): boolean {
  return preview !== null && preview.rejected.length === 0 && preview.children.length > 0;
}

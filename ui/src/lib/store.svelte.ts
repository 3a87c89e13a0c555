import { commands, events, type AppError, type AppStatus, type ReferralView, type SyncProgressEvent } from "./bindings";

export type Screen = "home" | "referrals" | "referral" | "vacancies" | "groups" | "demand" | "settings";

/** What the whole window knows: the home summary, the cached referrals, where we are. */
class AppState {
  status = $state<AppStatus | null>(null);
  /**
   * Replaced whole on every reload, never changed in place: raw state, so 5,000 referrals are
   * not each wrapped in a reactive proxy with a signal per field (tens of MB in the web view).
   */
  referrals = $state.raw<ReferralView[]>([]);
  screen = $state<Screen>("home");
  selected = $state<string | null>(null);
  error = $state<AppError | null>(null);
  syncing = $state(false);
  progress = $state<SyncProgressEvent | null>(null);
}

export const app = new AppState();

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

/** Runs a command; a failure is shown in the banner (and a revocation reloads everything). */
export async function run<T>(call: Promise<Result<T>>): Promise<T | null> {
  const result = await call;
  if (result.status === "ok") {
    app.error = null;
    return result.data;
  }
  app.error = result.error;
  if (result.error.code === "device_revoked") await refresh();
  return null;
}

/** Reloads the summary (enrolment, cache, outbox, connectivity) from the cache. */
export async function refreshStatus(): Promise<void> {
  const status = await run(commands.status());
  // The shell reports a wipe once; the window keeps saying it until the director closes it.
  if (status) {
    const earlier = app.status;
    app.status = status.wiped
      ? status
      : { ...status, wiped: earlier?.wiped ?? null, kept_after_wipe: earlier?.kept_after_wipe ?? 0 };
  }
}

/** Reloads the summary and the referrals from the cache. */
export async function refresh(): Promise<void> {
  await refreshStatus();
  // A computer that is not enrolled has no cache: nothing to read (and none is made).
  const referrals = app.status?.enrolment ? await run(commands.referrals()) : [];
  if (referrals) app.referrals = referrals;
}

/** Reloads after a call to the service (which may have changed the connectivity shown at the
 * top), keeping that call's error: reloading succeeds from the cache and would clear it
 * before anyone sees it. */
export async function refreshAfter(): Promise<void> {
  const error = app.error;
  await refresh();
  if (error) app.error = error;
}

/** Reloads the screens whenever a sync finishes, the background one included (its last page
 * event says no more pages wait), for as long as the window is open. */
export async function followSyncs(): Promise<void> {
  await events.syncProgressEvent.listen((e) => {
    if (!e.payload.more && !app.syncing) void refreshAfter();
  });
}

/** Sends the outbox and pulls changes, with the progress bar fed by the sync events. */
export async function syncNow(): Promise<boolean> {
  app.syncing = true;
  app.progress = { pages: 0, referrals: 0, total: 0, more: true };
  const stop = await events.syncProgressEvent.listen((e) => {
    app.progress = e.payload;
  });
  try {
    const done = await run(commands.sync());
    await refreshAfter();
    return done !== null;
  } finally {
    stop();
    app.syncing = false;
  }
}

/** Closes the wipe banner. */
export function dismissWipe(): void {
  if (app.status) app.status = { ...app.status, wiped: null, kept_after_wipe: 0 };
}

export function open(screen: Screen, selected: string | null = null): void {
  app.screen = screen;
  app.selected = selected;
}

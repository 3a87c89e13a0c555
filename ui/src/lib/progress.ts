import type { SyncProgressEvent } from "./bindings";

/** A sync's progress bar: referrals received of the total the service announced. A finished
 * sync is full (even one with nothing to receive); the total only grows if changes arrive
 * meanwhile, so the bar never overflows. */
export function progressBar(p: SyncProgressEvent): { value: number; max: number; percent: number } {
  const max = Math.max(p.total, p.referrals, 1);
  const value = p.more ? Math.min(p.referrals, max) : max;
  return { value, max, percent: Math.floor((100 * value) / max) };
}

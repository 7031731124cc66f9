/**
 * How many of a subscription's attempts the sending thread may hold at once: the ones at the
 * receiver (`maxConcurrency`) and the ones queued behind them, which start the moment a slot frees,
 * without waiting for the main thread. The queue is sized by time, not count: enough to keep the
 * slots busy for `COVER_MS` at the pace the receiver answers, because that is how long the main
 * thread may be busy with something else (a batch of publishes, a view's batch, a collection)
 * before it hands over more. A fast receiver gets a deep queue; a slow one a short queue, so that
 * its waiting deliveries stay due in the view rather than queued on the thread, where each would
 * hold a share of the attempts in flight that other subscriptions could use.
 */

/**
 * The main-thread turn the queue must outlast. In the batched benchmark (answers in 0.9 ms, ten
 * slots) two queued per slot, about 2 ms, left a quarter of the answers finding the queue empty;
 * covering 20 ms, one in fourteen (README, Performance).
 */
export const COVER_MS = 20;
/** Queued per slot at most, however fast the receiver: the memory a lane may hold. */
export const MAX_QUEUED_PER_SLOT = 10;
/** Queued per slot before the receiver's first answer gives its pace (the depth every lane had before). */
export const QUEUED_PER_SLOT_UNTIL_PACED = 2;
/** The weight of each new answer in a lane's pace. */
const PACE_WEIGHT = 0.2;

export interface LaneShape {
  maxConcurrency: number;
  /** Rate-limited and key-ordered lanes queue nothing: each start takes a token, or waits for the one before it. */
  queues: boolean;
}

/**
 * `answerMs`: the receiver's smoothed answer time (null before the first); `share`: the most this
 * lane may queue so that every lane with work gets some of the overall in-flight cap.
 */
export function laneDepth(lane: LaneShape, answerMs: number | null, share: number): number {
  const slots = lane.maxConcurrency;
  if (!lane.queues) return slots;
  const covering = answerMs === null ? slots * QUEUED_PER_SLOT_UNTIL_PACED : Math.ceil((slots * COVER_MS) / Math.max(answerMs, 0.01));
  return slots + Math.max(1, Math.min(covering, slots * MAX_QUEUED_PER_SLOT, share));
}

/** The lane's pace after one more answer that took `durationMs`. */
export function nextPace(answerMs: number | null, durationMs: number): number {
  return answerMs === null ? durationMs : answerMs + PACE_WEIGHT * (durationMs - answerMs);
}

/** Half of the overall cap, shared by the lanes with work: the other half is for attempts being recorded and for lanes that join. */
export function queueShare(maxInFlight: number, lanesWithWork: number): number {
  return Math.floor(maxInFlight / (2 * Math.max(1, lanesWithWork)));
}

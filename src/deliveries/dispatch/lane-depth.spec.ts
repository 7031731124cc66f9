import { describe, expect, it } from 'vitest';
import { COVER_MS, laneDepth, MAX_QUEUED_PER_SLOT, nextPace, QUEUED_PER_SLOT_UNTIL_PACED, queueShare } from './lane-depth.js';

const ten = { maxConcurrency: 10, queues: true };
const roomy = 1_000;

describe('laneDepth', () => {
  it('queues nothing for a rate-limited or key-ordered lane, whatever its pace', () => {
    expect(laneDepth({ maxConcurrency: 4, queues: false }, 0.5, roomy)).toBe(4);
    expect(laneDepth({ maxConcurrency: 4, queues: false }, null, roomy)).toBe(4);
  });

  it('queues a fixed few per slot until the receiver has answered once', () => {
    expect(laneDepth(ten, null, roomy)).toBe(10 + 10 * QUEUED_PER_SLOT_UNTIL_PACED);
  });

  it('queues what keeps the slots busy for COVER_MS at the receiver’s pace', () => {
    // Ten slots answering every 5 ms start two requests a millisecond.
    expect(laneDepth(ten, 5, roomy)).toBe(10 + (10 * COVER_MS) / 5);
    expect(laneDepth(ten, 4, roomy)).toBeGreaterThan(laneDepth(ten, 5, roomy));
  });

  it('keeps at least one queued behind a slow receiver, so no queued request waits anywhere near a second', () => {
    expect(laneDepth(ten, 2_000, roomy)).toBe(11);
    expect(laneDepth({ maxConcurrency: 1, queues: true }, 300, roomy)).toBe(2);
  });

  it('caps the queue per slot for a fast receiver, and at the lane’s share of the overall cap', () => {
    expect(laneDepth(ten, 0.001, roomy)).toBe(10 + 10 * MAX_QUEUED_PER_SLOT);
    expect(laneDepth(ten, 0.001, 12)).toBe(22);
    expect(laneDepth(ten, 0.001, 0)).toBe(11);
  });
});

describe('nextPace', () => {
  it('starts at the first answer and then moves a fifth of the way to each new one', () => {
    expect(nextPace(null, 3)).toBe(3);
    expect(nextPace(3, 8)).toBe(4);
    expect(nextPace(4, 4)).toBe(4);
  });
});

describe('queueShare', () => {
  it('splits half the in-flight cap between the lanes with work', () => {
    expect(queueShare(256, 0)).toBe(128);
    expect(queueShare(256, 1)).toBe(128);
    expect(queueShare(256, 10)).toBe(12);
    expect(queueShare(256, 300)).toBe(0);
  });
});

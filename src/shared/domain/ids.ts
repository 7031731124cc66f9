const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A prefixed, time-sortable id (`sub_01J…`): 10 characters of milliseconds and 16 of randomness,
 * ULID-style. Time and random bytes come in, so the domain stays pure.
 */
export function prefixedId(prefix: string, nowMs: number, random: Uint8Array): string {
  if (random.length < 10) throw new Error('prefixedId needs 10 random bytes');
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  let bits = 0;
  let value = 0;
  for (let i = 0; i < 10; i++) {
    value = (value << 8) | random[i]!;
    bits += 8;
    while (bits >= 5) {
      rand += CROCKFORD[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `${prefix}_${time}${rand}`;
}

export const ID_PATTERN = /^[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}$/;

export function hasPrefix(id: string, prefix: string): boolean {
  return ID_PATTERN.test(id) && id.startsWith(`${prefix}_`);
}

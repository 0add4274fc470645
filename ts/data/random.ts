/**
 * A small seedable PRNG for data shuffling. Plain 32-bit integer arithmetic (Math.imul, >>>), so a
 * seed gives the same permutation on every engine and machine.
 * @module
 */

/** splitmix32: a well-mixed 32-bit stream from any 32-bit state, used to derive per-epoch seeds. */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The seed of epoch `epoch` for a loader seeded with `seed` (independent streams per epoch). */
export function epochSeed(seed: number, epoch: number): number {
  const a = splitmix32(seed)();
  return splitmix32((a ^ Math.imul(epoch + 1, 0x27d4eb2f)) >>> 0)();
}

/**
 * A uniform random permutation of 0..n-1 (Fisher–Yates). Indices are drawn by rejection, not
 * modulo, so every permutation is equally likely.
 */
export function permutation(n: number, seed: number): Uint32Array {
  const next = splitmix32(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 0x100000000 - (0x100000000 % bound);
    let r = next();
    while (r >= limit) r = next();
    const j = r % bound;
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

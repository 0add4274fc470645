// The seeded property suite (test/property_cases.ts) under Node: random valid and invalid calls
// of the public API, each checked against a reference or for a clear error, and the library
// checked after each. The browser suite runs the same cases in Chromium.
import { describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { runProperty } from './property_cases.js';

describe('random calls of the public API (seeded)', () => {
  for (const seed of [20261203, 7, 1234567]) {
    it(`seed ${seed}: every answer is right or a clear error, and the library keeps working`, () => {
      const before = lib.memory().liveTensors;
      const r = runProperty(lib, seed, 1500);
      expect(r.calls).toBeGreaterThanOrEqual(1500);
      // both sides are exercised: a suite that only refuses (or only accepts) proves little
      expect(r.valid).toBeGreaterThan(300);
      expect(r.refused).toBeGreaterThan(300);
      // nothing leaked: every tensor the calls made was freed by their scope or is collectable
      lib.memory();
      expect(lib.memory().liveTensors - before).toBeLessThan(20_000);
    });
  }
});

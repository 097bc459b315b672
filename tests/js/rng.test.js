import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createRng } from '../../src/modelbeacon/web/js/rng.js';

test('rng is seeded and uniform enough', () => {
  const a = createRng(5);
  const b = createRng(5);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CLIENT } from '../../src/modelbeacon/web/js/config.js';
import { RecentPredictions } from '../../src/modelbeacon/web/js/recent-predictions.js';

const T0 = Date.UTC(2026, 10, 24, 6, 0, 0);

/** A `prediction_logged` batch of `count` predictions from `first`, one a second, newest last. */
const batch = (first, count) => Array.from({ length: count }, (_, i) => ({
  prediction_id: `p${first + i}`, prediction: (first + i) % 3, latency_ms: 0.5,
  timestamp: new Date(T0 + (first + i) * 1000).toISOString(),
}));

const ids = (items) => items.map((p) => p.prediction_id);

test('recent-predictions keeps the newest 20, newest first', () => {
  assert.equal(CLIENT.recent_predictions_rows, 20);
  const recent = new RecentPredictions();
  assert.deepEqual(ids(recent.add(batch(0, 3))), ['p2', 'p1', 'p0']);
  recent.add(batch(3, 15));
  const items = recent.add(batch(18, 20));
  assert.equal(items.length, 20);
  assert.deepEqual(ids(items.slice(0, 2)), ['p37', 'p36']);
  assert.equal(items.at(-1).prediction_id, 'p18');
});

test('recent-predictions shows each id once and orders by timestamp, not by arrival', () => {
  const recent = new RecentPredictions(5);
  recent.add(batch(10, 3));
  // A lagging client's merged message can repeat ids and bring older ones.
  const items = recent.add([...batch(5, 2), ...batch(11, 2)]);
  assert.deepEqual(ids(items), ['p12', 'p11', 'p10', 'p6', 'p5']);
});

test('recent-predictions keeps arrival order among equal timestamps and ignores malformed entries', () => {
  const recent = new RecentPredictions();
  const same = new Date(T0).toISOString();
  recent.add([{ prediction_id: 'a', timestamp: same }, { prediction_id: 'b', timestamp: same }, { timestamp: same }, null]);
  assert.deepEqual(ids(recent.items), ['b', 'a']);
  assert.deepEqual(ids(recent.add(undefined)), ['b', 'a']);
  recent.clear();
  assert.deepEqual(recent.items, []);
});

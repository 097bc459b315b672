import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  REFERENCE_EDGES,
  binOf,
  driftLevel,
  driftSummary,
  featurePsi,
  nearestRank,
  psi,
  wilsonInterval,
} from '../../src/modelbeacon/web/js/demo-statistics.js';
import { createRng } from '../../src/modelbeacon/web/js/rng.js';

const close = (actual, expected, tolerance, message) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ''} ${actual} vs ${expected}`);

test('demo-statistics wilson interval of 85 out of 100 is DESIGN.md\'s [0.767, 0.907]', () => {
  const { low, high } = wilsonInterval(85, 100);
  close(low, 0.767, 0.0005);
  close(high, 0.907, 0.0005);
});

test('demo-statistics wilson interval is where the score test stops rejecting (brute force)', () => {
  // The Wilson interval is every p0 with |k/n - p0| <= z * sqrt(p0 (1 - p0) / n): scan a fine grid.
  const z = 1.959963984540054;
  const rng = createRng(5);
  for (let round = 0; round < 40; round += 1) {
    const n = rng.int(1, 200);
    const k = rng.int(0, n);
    const accepted = [];
    for (let i = 0; i <= 20_000; i += 1) {
      const p0 = i / 20_000;
      if (Math.abs(k / n - p0) <= z * Math.sqrt((p0 * (1 - p0)) / n) + 1e-12) accepted.push(p0);
    }
    const { low, high } = wilsonInterval(k, n);
    close(low, accepted[0], 1e-4, `low of ${k}/${n}`);
    close(high, accepted.at(-1), 1e-4, `high of ${k}/${n}`);
  }
});

test('demo-statistics nearest rank', () => {
  assert.equal(nearestRank([], 50), null);
  assert.equal(nearestRank([1, 2, 3, 4], 50), 2);
  assert.equal(nearestRank([1, 2, 3, 4], 95), 4);
});

test('demo-statistics bins put a value equal to an edge in the bin on its right', () => {
  assert.equal(REFERENCE_EDGES.length, 9);
  assert.equal(binOf(-5), 0);
  assert.equal(binOf(REFERENCE_EDGES[0]), 1);
  assert.equal(binOf(0), 5);
  assert.equal(binOf(5), 9);
});

test('demo-statistics psi floors empty bins and is zero for identical proportions', () => {
  assert.equal(psi([0.5, 0.5], [0.5, 0.5]), 0);
  close(psi([1, 0], [0.5, 0.5]), 0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 1e-12);
  assert.equal(driftLevel(0.0999), 'none');
  assert.equal(driftLevel(0.1), 'moderate');
  assert.equal(driftLevel(0.2), 'significant');
});

test('demo-statistics feature psi equals the definition over random bins (brute force)', () => {
  const rng = createRng(9);
  const vectors = Array.from({ length: 250 }, () => [rng.int(0, 9), binOf(rng.normal(0.8, 1))]);
  const oracle = (feature) => {
    let total = 0;
    for (let bin = 0; bin < 10; bin += 1) {
      const share = Math.max(1e-4, vectors.filter((v) => v[feature] === bin).length / vectors.length);
      total += (share - 0.1) * Math.log(share / 0.1);
    }
    return total;
  };
  const values = featurePsi(vectors, 2);
  close(values[0], oracle(0), 1e-12);
  close(values[1], oracle(1), 1e-12);
  assert.ok(values[1] > 0.2 && values[0] < 0.1, 'a shifted feature drifts, a reference-like one does not');
});

test('demo-statistics drift summary is null below 100 predictions, its score the largest psi', () => {
  const rng = createRng(3);
  const vectors = (n) => Array.from({ length: n }, () => [binOf(rng.normal(0, 1)), binOf(rng.normal(1, 1))]);
  assert.equal(driftSummary(vectors(99), ['a', 'b']), null);
  const drift = driftSummary(vectors(300), ['a', 'b']);
  assert.deepEqual(drift.features.map((f) => [f.name, f.kind]), [['a', 'numeric'], ['b', 'numeric']]);
  assert.equal(drift.score, Math.max(...drift.features.map((f) => f.psi)));
  assert.equal(drift.features[1].level, 'significant');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SeriesBuffer, UPLOT_MISSING } from '../../src/modelbeacon/web/js/charts.js';

test('charts buffer keeps aligned columns of the last window', () => {
  const buffer = new SeriesBuffer(['a', 'b'], 900);
  buffer.push(1000, { a: 1, b: 2 });
  buffer.push(1500, { a: null, b: 3 });
  buffer.push(1901, { a: 4, b: Number.NaN });
  assert.deepEqual(buffer.data(), [[1500, 1901], [null, 4], [3, null]]);
});

test('charts buffer drops points that are not newer than the last one', () => {
  const buffer = new SeriesBuffer(['a'], 900);
  assert.equal(buffer.push(10, { a: 1 }), true);
  assert.equal(buffer.push(10, { a: 2 }), false);
  assert.equal(buffer.push(5, { a: 3 }), false);
  assert.deepEqual(buffer.data(), [[10], [1]]);
});

test('charts buffer hands out copies and clears', () => {
  const buffer = new SeriesBuffer(['a'], 900);
  buffer.push(1, { a: 1 });
  const data = buffer.data();
  buffer.push(2, { a: 2 });
  assert.deepEqual(data, [[1], [1]]);
  buffer.clear();
  assert.equal(buffer.length, 0);
});

test('charts missing-library message tells what to run', () => {
  assert.equal(UPLOT_MISSING, 'charts unavailable: uPlot not installed — run make');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SeriesBuffer, UPLOT_MISSING, chartSample, createCharts } from '../../src/modelbeacon/web/js/charts.js';
import { FakeClock } from './helpers/fakes.js';

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

const T0 = Date.UTC(2026, 10, 24, 6, 0, 0);
const at = (seconds) => new Date(T0 + seconds * 1000).toISOString();

/** A history point of GET .../metrics/history at `seconds` after T0. */
function point(seconds, overrides = {}) {
  return {
    timestamp: at(seconds), predictions_per_minute: 30, current_accuracy: 0.85,
    accuracy_interval: { low: 0.767, high: 0.907 }, estimated_accuracy: 0.9, latency_p95_ms: 1.5,
    error_rate: 0, drift_score: 0.12, model_health: 'healthy', ...overrides,
  };
}

test('charts sample of a history point keeps the fractions and reads the timestamp', () => {
  assert.deepEqual(chartSample(point(5)), {
    t: T0 / 1000 + 5, accuracy: 0.85, low: 0.767, high: 0.907, estimated: 0.9, ppm: 30, p95: 1.5, drift: 0.12,
  });
  const empty = chartSample(point(5, { current_accuracy: null, accuracy_interval: null }));
  assert.equal(empty.accuracy, null);
  assert.equal(empty.low, undefined);
  assert.equal(chartSample({ ...point(5), timestamp: 'yesterday' }), null);
  assert.equal(chartSample(null), null);
});

test('charts buffer loads a history under the points pushed while it was on its way', () => {
  const buffer = new SeriesBuffer(['a'], 900);
  buffer.push(100, { a: 10 });
  buffer.push(110, { a: 11 });
  buffer.load([{ t: 90, a: 9 }, { t: 100, a: 10 }, { t: 95, a: 0 }]);
  assert.deepEqual(buffer.data(), [[90, 100, 110], [9, 10, 11]], 'out-of-order and repeated points dropped');
  buffer.load([{ t: 1, a: 1 }, { t: 1000, a: 2 }]);
  assert.deepEqual(buffer.data(), [[1000], [2]], 'only the last window is kept');
});

/** Just the chart elements createCharts reads and writes. */
function fakeChartsPanel(names) {
  const element = () => ({ dataset: {}, textContent: '', classList: { add() {} }, clientWidth: 400 });
  const status = element();
  const figures = Object.fromEntries(names.map((name) => {
    const canvas = element();
    return [name, { ...element(), querySelector: () => canvas }];
  }));
  return {
    status,
    figures,
    querySelector(selector) {
      if (selector === '[data-testid="chart-status"]') return status;
      return figures[/data-chart="(\w+)"/.exec(selector)?.[1]] ?? null;
    },
  };
}

class FakeUPlot {
  static made = [];

  constructor(options, data) {
    this.options = options;
    this.data = data;
    this.width = options.width;
    FakeUPlot.made.push(this);
  }

  setData(data) {
    this.data = data;
  }
}

test('charts draw the history as columns, the interval as a band, and say how many points each drew', async () => {
  const names = ['accuracy', 'ppm', 'latency', 'drift'];
  const panel = fakeChartsPanel(names);
  const clock = new FakeClock();
  FakeUPlot.made = [];
  const charts = createCharts(panel, {
    loadUPlot: async () => ({ default: FakeUPlot }), timers: clock.timers, now: clock.now, minRedrawMs: 250,
  });
  assert.equal(await charts.ready, true);
  assert.deepEqual(names.map((name) => panel.figures[name].dataset.points), ['0', '0', '0', '0']);
  charts.load([point(0), point(5, { current_accuracy: null, accuracy_interval: null }), point(10)]);
  charts.push(point(15, { current_accuracy: 0.7, accuracy_interval: { low: 0.6, high: 0.78 } }));
  clock.advance(250);
  const [accuracy, ppm, latency, drift] = FakeUPlot.made;
  const t = [0, 5, 10, 15].map((s) => T0 / 1000 + s);
  const rounded = (column) => column.map((v) => (v === null ? null : Number(v.toFixed(6))));
  assert.deepEqual(accuracy.data[0], t);
  assert.deepEqual(accuracy.data.slice(1, 5).map(rounded), [
    [85, null, 85, 70], [90.7, null, 90.7, 78], [76.7, null, 76.7, 60], [90, 90, 90, 90],
  ], 'accuracy, interval high, interval low, estimated, in percent');
  assert.deepEqual(accuracy.options.bands, [{ series: [2, 3], fill: 'rgba(63,185,80,0.16)' }]);
  assert.deepEqual(ppm.data, [t, [30, 30, 30, 30]]);
  assert.deepEqual(latency.data[1], [1.5, 1.5, 1.5, 1.5]);
  assert.deepEqual(drift.data.slice(0, 2), [t, [0.12, 0.12, 0.12, 0.12]]);
  assert.deepEqual(names.map((name) => panel.figures[name].dataset.points), ['4', '4', '4', '4']);
  charts.reset();
  clock.advance(250);
  assert.equal(panel.figures.accuracy.dataset.points, '0');
  charts.load({ error: 'not a list' });
  clock.advance(250);
  assert.equal(panel.figures.accuracy.dataset.points, '0', 'a malformed history starts empty');
});

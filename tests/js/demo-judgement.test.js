import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MODEL_METRICS, mergeServerConfig } from '../../src/modelbeacon/web/js/config.js';
import { DemoWorld } from '../../src/modelbeacon/web/js/demo-data.js';
import {
  computeHealth,
  computeTrend,
  effectiveStatus,
  systemHealth,
} from '../../src/modelbeacon/web/js/demo-judgement.js';
import { binOf } from '../../src/modelbeacon/web/js/demo-statistics.js';
import { ModelTraffic } from '../../src/modelbeacon/web/js/demo-traffic.js';
import { createRng } from '../../src/modelbeacon/web/js/rng.js';

test('demo-judgement health follows the server policy', () => {
  const config = MODEL_METRICS;
  const base = { accuracy_window: 100, latency_ms: { p95: 1 }, error_rate: 0 };
  assert.equal(computeHealth({ ...base, current_accuracy: 0.85 }, config), 'healthy');
  assert.equal(computeHealth({ ...base, current_accuracy: 0.8 }, config), 'warning');
  assert.equal(computeHealth({ ...base, current_accuracy: 0.79 }, config), 'critical');
  assert.equal(computeHealth({ ...base, current_accuracy: 0.5, accuracy_window: 19 }, config), 'unknown');
  assert.equal(computeHealth({ ...base, current_accuracy: 0.95, error_rate: 0.3 }, config), 'critical');
  assert.equal(computeHealth({ ...base, current_accuracy: 0.95, latency_ms: { p95: 300 } }, config), 'warning');
});

const NOW = Date.UTC(2026, 10, 24, 6, 0, 0);

/** A prediction of a hand-made log, `secondsAgo` before NOW; right and labelled at once unless told. */
function entry(secondsAgo, overrides = {}) {
  return {
    prediction_id: `p${secondsAgo}`, timestamp: NOW - secondsAgo * 1000, prediction: 'a', latency_ms: 1,
    error: false, confidence: 0.9, label: 'a', labelled_at: NOW - secondsAgo * 1000, bins: [0],
    ...overrides,
  };
}

/** The label of a prediction of 'a' that is right or wrong. */
const labelFor = (correct) => ({ label: correct ? 'a' : 'b' });

/** ModelTraffic over a hand-made log, oldest entry first. */
function trafficOf(log) {
  const traffic = new ModelTraffic({
    id: '1', classes: ['a', 'b'], feature_names: ['x'], total_predictions: log.length,
  }, createRng(1));
  traffic.log = log;
  return traffic;
}

test('demo-judgement trend compares the newer half of each window with the older half', () => {
  // 40 predictions in the minute before last, then 60 in the last one; accuracy falls from all
  // correct in the older 50 labels to 40 of 50 in the newer (the window has 100, so h = 50).
  const log = [
    ...Array.from({ length: 40 }, (_, i) => entry(119 - i)),
    ...Array.from({ length: 60 }, (_, i) => entry(59 - i, labelFor(i < 10 || i >= 20))),
  ];
  const trend = computeTrend(trafficOf(log).windows(NOW));
  assert.equal(trend.current_accuracy, 'down');
  assert.equal(trend.predictions_per_minute, 'up');
  assert.equal(trend.latency_p95_ms, 'flat');
  assert.deepEqual(Object.values(computeTrend(trafficOf([]).windows(NOW))), Array(6).fill('flat'));
});

test('demo-judgement trend keeps trend.py minimum half sizes and strict tolerances', () => {
  const halves = (older, newer, length = older + newer) => Array.from({ length }, (_, i) => entry(length - i,
    labelFor(i < older ? i % 2 === 0 : true)));
  // 9 labels in the older half: too few to judge, whatever the difference.
  assert.equal(computeTrend(trafficOf(halves(9, 50)).windows(NOW)).current_accuracy, 'flat');
  assert.equal(computeTrend(trafficOf(halves(10, 50)).windows(NOW)).current_accuracy, 'up');
  // The rate: 10 more is exactly 10% of 100, not more than it; 11 more is.
  const rate = (before, last) => computeTrend(trafficOf([
    ...Array.from({ length: before }, (_, i) => entry(119 - (i % 59))),
    ...Array.from({ length: last }, (_, i) => entry(59 - (i % 59))),
  ].sort((a, b) => a.timestamp - b.timestamp)).windows(NOW)).predictions_per_minute;
  assert.equal(rate(100, 110), 'flat');
  assert.equal(rate(100, 111), 'up');
  assert.equal(rate(100, 89), 'down');
  // Below 10 a minute the tolerance is one prediction.
  assert.equal(rate(3, 4), 'flat');
  assert.equal(rate(3, 5), 'up');
  // Latency p95 needs 20 successes in the older half of the calls window too (h = 500).
  const slowdown = (older) => Array.from({ length: older + 500 }, (_, i) => entry((older + 500 - i) / 10, {
    latency_ms: i < older ? 1 : 2,
  }));
  assert.equal(computeTrend(trafficOf(slowdown(19)).windows(NOW)).latency_p95_ms, 'flat');
  assert.equal(computeTrend(trafficOf(slowdown(20)).windows(NOW)).latency_p95_ms, 'up');
});

// metrics/trend.py transcribed over a raw log, as the oracle: its windows are rebuilt here from
// the log's definition, not taken from ModelTraffic.windows.
function serverTrend(log, nowMs) {
  const past = log.filter((e) => e.timestamp <= nowMs);
  const split = (values, half) => {
    const cut = Math.max(0, values.length - half);
    return [values.slice(Math.max(0, values.length - 2 * half), cut), values.slice(cut)];
  };
  const compare = (newer, older, tolerance) => (newer - older > tolerance ? 'up' : -(newer - older) > tolerance ? 'down' : 'flat');
  const avg = (xs) => xs.reduce((s, x) => s + Number(x), 0) / xs.length;
  const halves = (values, half, minimum, f, tolerance) => {
    const [older, newer] = split(values, half);
    if (older.length < minimum || newer.length < minimum) return 'flat';
    return compare(f(newer), f(older), tolerance(f(older)));
  };
  const p95 = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.ceil((95 * sorted.length) / 100) - 1];
  };
  const outcomes = past.filter((e) => e.labelled_at !== null && e.labelled_at <= nowMs).slice(-100)
    .map((e) => e.label === e.prediction);
  const confidences = past.filter((e) => e.confidence !== null).slice(-100).map((e) => e.confidence);
  const calls = past.slice(-1000);
  // The largest feature PSI against the demo's reference: ten bins of a tenth each.
  const psiScore = (vectors) => Math.max(...vectors[0].map((_, feature) => {
    let total = 0;
    for (let bin = 0; bin < 10; bin += 1) {
      const share = Math.max(1e-4, vectors.filter((v) => v[feature] === bin).length / vectors.length);
      total += (share - 0.1) * Math.log(share / 0.1);
    }
    return total;
  }));
  const inMinute = (from, to) => past.filter((e) => e.timestamp > from && e.timestamp <= to).length;
  const previous = inMinute(nowMs - 120_000, nowMs - 60_000);
  return {
    current_accuracy: halves(outcomes, 50, 10, avg, () => 0.01),
    estimated_accuracy: halves(confidences, 50, 10, avg, () => 0.01),
    predictions_per_minute: compare(inMinute(nowMs - 60_000, nowMs), previous, Math.max(1, 0.1 * previous)),
    latency_p95_ms: halves(calls.filter((e) => !e.error).map((e) => e.latency_ms), 500, 20, p95, (older) => 0.1 * older),
    error_rate: halves(calls.map((e) => e.error), 500, 20, avg, () => 0.01),
    drift_score: halves(past.filter((e) => !e.error).slice(-300).map((e) => e.bins), 150, 10, psiScore, () => 0.05),
  };
}

test('demo-judgement trend equals metrics/trend.py on random hand-made logs', () => {
  const rng = createRng(2024);
  const seen = new Set();
  for (let round = 0; round < 300; round += 1) {
    const length = rng.int(0, 1400);
    const shift = rng.uniform(-0.3, 0.3);
    // Ages in seconds, oldest first; a share in the last minute (or just ahead of NOW) moves the rate.
    const recentShare = rng.uniform(0.3, 0.7);
    const ages = Array.from({ length }, () => (rng.chance(recentShare) ? rng.uniform(-10, 60) : rng.uniform(60, 130)));
    ages.sort((a, b) => b - a);
    const log = ages.map((secondsAgo, i) => {
      const newer = i > length / 2;
      const error = rng.chance(newer ? 0.05 + Math.max(0, shift) / 3 : 0.05);
      return entry(secondsAgo, {
        prediction_id: `p${i}`,
        error,
        latency_ms: error ? null : rng.uniform(1, newer ? 2 + shift : 2),
        confidence: error ? null : rng.uniform(0.5, newer ? 1 + shift / 2 : 1),
        ...labelFor(rng.chance(newer ? 0.8 + shift / 2 : 0.8)),
        labelled_at: !error && rng.chance(0.7) ? NOW - secondsAgo * 1000 + rng.uniform(0, 40_000) : null,
        bins: error ? null : [binOf(rng.normal(newer ? 2 * shift : 0, 1)), binOf(rng.normal(0, 1))],
      });
    });
    const expected = serverTrend(log, NOW);
    assert.deepEqual(computeTrend(trafficOf(log).windows(NOW)), expected, `round ${round}`);
    for (const [key, word] of Object.entries(expected)) seen.add(`${key}:${word}`);
  }
  assert.equal(seen.size, 18, 'every metric was seen up, down and flat');
});

test('demo-judgement trend of the demo world follows the drift episode', () => {
  const start = Date.UTC(2026, 10, 24, 6, 0, 0);
  const world = new DemoWorld({ seed: 7, start });
  const updates = world.advance(start + 30 * 60_000).filter((e) => e.type === 'model_metrics_update');
  const accuracyWords = new Set(updates.map((m) => m.trend.current_accuracy));
  assert.deepEqual([...accuracyWords].sort(), ['down', 'flat', 'up']);
  const last = updates.at(-1);
  assert.deepEqual(last.trend, computeTrend(world.traffic.get(last.model_id).windows(world.now)));
});

test('demo-judgement system health is strict at the resource thresholds of the merged config', () => {
  assert.equal(systemHealth(85, MODEL_METRICS), 'healthy');
  assert.equal(systemHealth(85.1, MODEL_METRICS), 'warning');
  assert.equal(systemHealth(95, MODEL_METRICS), 'warning');
  assert.equal(systemHealth(95.1, MODEL_METRICS), 'critical');
  const config = mergeServerConfig({ resource_warning_percent: 50, resource_critical_percent: 60 });
  assert.equal(systemHealth(50, config), 'healthy');
  assert.equal(systemHealth(55, config), 'warning');
  assert.equal(systemHealth(61, config), 'critical');
});

// metrics/health.py's HealthPolicy.health, transcribed line by line as the oracle.
function serverHealth({ current_accuracy: accuracy, accuracy_window: labelled, latency_ms, error_rate }, c) {
  const severity = ['unknown', 'healthy', 'warning', 'critical'];
  const worst = (...parts) => parts.reduce((a, b) => (severity.indexOf(b) > severity.indexOf(a) ? b : a));
  let accuracyPart = 'healthy';
  if (accuracy === null || labelled < c.min_labelled) accuracyPart = 'unknown';
  else if (accuracy < c.accuracy_critical) accuracyPart = 'critical';
  else if (accuracy < c.accuracy_warning) accuracyPart = 'warning';
  const p95 = latency_ms.p95;
  let latencyPart = 'warning';
  if (p95 === null || p95 <= c.latency_p95_warning_ms) latencyPart = 'healthy';
  else if (p95 > c.latency_p95_critical_ms) latencyPart = 'critical';
  let errorPart = 'warning';
  if (error_rate === null || error_rate <= c.error_rate_warning) errorPart = 'healthy';
  else if (error_rate > c.error_rate_critical) errorPart = 'critical';
  const other = worst(latencyPart, errorPart);
  return accuracyPart === 'unknown' && other === 'healthy' ? 'unknown' : worst(accuracyPart, other);
}

test('demo-judgement health equals the server policy on every combination at and around the thresholds', () => {
  const config = mergeServerConfig({
    accuracy_warning: 0.9, accuracy_critical: 0.7, min_labelled: 5,
    latency_p95_warning_ms: 100, latency_p95_critical_ms: 400,
    error_rate_warning: 0.1, error_rate_critical: 0.3,
  });
  let checked = 0;
  for (const current_accuracy of [null, 0.69, 0.7, 0.8, 0.9, 0.95]) {
    for (const accuracy_window of [0, 4, 5, 100]) {
      for (const p95 of [null, 100, 101, 400, 401]) {
        for (const error_rate of [null, 0, 0.1, 0.2, 0.3, 0.31]) {
          const metrics = {
            current_accuracy, accuracy_window, latency_ms: { p50: null, p95, p99: null }, error_rate,
          };
          assert.equal(computeHealth(metrics, config), serverHealth(metrics, config), JSON.stringify(metrics));
          checked += 1;
        }
      }
    }
  }
  assert.equal(checked, 720);
});

test('demo-judgement health uses the merged config, not the defaults', () => {
  const metrics = { current_accuracy: 0.86, accuracy_window: 30, latency_ms: { p95: 300 }, error_rate: 0 };
  assert.equal(computeHealth(metrics, MODEL_METRICS), 'warning');
  const strict = mergeServerConfig({ accuracy_warning: 0.9, latency_p95_warning_ms: 500, min_labelled: 10 });
  assert.equal(computeHealth(metrics, strict), 'warning', 'accuracy now decides');
  const lenient = mergeServerConfig({ accuracy_warning: 0.85, latency_p95_warning_ms: 500 });
  assert.equal(computeHealth(metrics, lenient), 'healthy');
  assert.equal(computeHealth({ ...metrics, accuracy_window: 29 }, mergeServerConfig({ min_labelled: 30 })), 'warning',
    'unknown accuracy with a slow model is a warning');
  assert.equal(computeHealth({ ...metrics, accuracy_window: 29, latency_ms: { p95: 1 } }, mergeServerConfig({ min_labelled: 30 })),
    'unknown', 'unknown accuracy with a healthy rest stays unknown');
});

test('demo-judgement status is degraded only for an active model in critical health', () => {
  assert.equal(effectiveStatus('active', 'critical'), 'degraded');
  assert.equal(effectiveStatus('active', 'warning'), 'active');
  assert.equal(effectiveStatus('active', 'unknown'), 'active');
  assert.equal(effectiveStatus('inactive', 'critical'), 'inactive');
  assert.equal(effectiveStatus('ready', 'critical'), 'ready');
});

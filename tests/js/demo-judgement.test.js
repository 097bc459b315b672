import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MODEL_METRICS, mergeServerConfig } from '../../src/modelbeacon/web/js/config.js';
import { computeHealth, computeTrend, systemHealth } from '../../src/modelbeacon/web/js/demo-judgement.js';

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

test('demo-judgement trend compares with the previous values', () => {
  const prev = { current_accuracy: 0.9, estimated_accuracy: 0.9, predictions_per_minute: 20, latency_ms: { p95: 1 }, error_rate: 0, drift_score: 0.1 };
  const next = { ...prev, current_accuracy: 0.8, predictions_per_minute: 30 };
  const trend = computeTrend(next, prev);
  assert.equal(trend.current_accuracy, 'down');
  assert.equal(trend.predictions_per_minute, 'up');
  assert.equal(trend.latency_p95_ms, 'flat');
  assert.deepEqual(Object.values(computeTrend(next, undefined)), Array(6).fill('flat'));
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

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

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ALGORITHMS,
  CLIENT,
  DATASETS,
  MODEL_METRICS,
  accuracyLevel,
  ceilingLevel,
  driftWordLevel,
  errorRateLevel,
  healthWordLevel,
  latencyLevel,
  mergeServerConfig,
  resourceLevel,
  statusLevel,
} from '../../src/modelbeacon/web/js/config.js';

test('config defaults equal the server config of docs/PAYLOADS.md', () => {
  assert.deepEqual({ ...MODEL_METRICS }, {
    accuracy_warning: 0.85,
    accuracy_critical: 0.8,
    min_labelled: 20,
    latency_p95_warning_ms: 250,
    latency_p95_critical_ms: 1000,
    error_rate_warning: 0.05,
    error_rate_critical: 0.2,
    resource_warning_percent: 85,
    resource_critical_percent: 95,
    system_interval: 5,
    metrics_interval: 5,
    prediction_interval: 0.5,
  });
  assert.ok(Object.isFrozen(MODEL_METRICS));
  assert.ok(Object.isFrozen(CLIENT));
});

test('config client reconnect policy is base 500 ms, cap 30 s, polling every 5 s', () => {
  assert.equal(CLIENT.reconnect_base_ms, 500);
  assert.equal(CLIENT.reconnect_cap_ms, 30_000);
  assert.equal(CLIENT.fallback_poll_ms, 5_000);
  assert.equal(CLIENT.chart_window_seconds, 900);
});

test('config lists the datasets and algorithms the server accepts', () => {
  assert.deepEqual([...DATASETS], ['iris', 'wine', 'breast_cancer', 'digits']);
  assert.deepEqual([...ALGORITHMS], ['logistic_regression', 'random_forest', 'gradient_boosting', 'sgd', 'mlp']);
});

test('config merge takes the server values of known keys', () => {
  const merged = mergeServerConfig({ accuracy_warning: 0.9, accuracy_critical: 0.75, metrics_interval: 0.1 });
  assert.equal(merged.accuracy_warning, 0.9);
  assert.equal(merged.accuracy_critical, 0.75);
  assert.equal(merged.metrics_interval, 0.1);
  assert.equal(merged.min_labelled, 20);
  assert.ok(Object.isFrozen(merged));
  assert.equal(MODEL_METRICS.accuracy_warning, 0.85, 'defaults are not mutated');
});

test('config merge ignores unknown keys and malformed values', () => {
  const merged = mergeServerConfig({
    accuracy_warning: null,
    accuracy_critical: '0.5',
    min_labelled: Number.NaN,
    error_rate_warning: Number.POSITIVE_INFINITY,
    surprise: 1,
  });
  assert.deepEqual({ ...merged }, { ...MODEL_METRICS });
  assert.equal('surprise' in merged, false);
});

test('config merge of a missing server config is the defaults', () => {
  assert.deepEqual({ ...mergeServerConfig(undefined) }, { ...MODEL_METRICS });
  assert.deepEqual({ ...mergeServerConfig(null) }, { ...MODEL_METRICS });
  assert.deepEqual({ ...mergeServerConfig('nope') }, { ...MODEL_METRICS });
});

test('config accuracy colour is green at exactly 0.85 and yellow just below', () => {
  assert.equal(accuracyLevel(0.85), 'good');
  assert.equal(accuracyLevel(0.8499999), 'warn');
  assert.equal(accuracyLevel(1), 'good');
});

test('config accuracy colour is yellow at exactly 0.80 and red just below', () => {
  assert.equal(accuracyLevel(0.8), 'warn');
  assert.equal(accuracyLevel(0.7999999), 'bad');
  assert.equal(accuracyLevel(0), 'bad');
});

test('config accuracy colour of no number is unknown', () => {
  assert.equal(accuracyLevel(null), 'unknown');
  assert.equal(accuracyLevel(undefined), 'unknown');
  assert.equal(accuracyLevel(Number.NaN), 'unknown');
});

test('config accuracy colour follows the server thresholds once merged', () => {
  const config = mergeServerConfig({ accuracy_warning: 0.9, accuracy_critical: 0.85 });
  assert.equal(accuracyLevel(0.9, config), 'good');
  assert.equal(accuracyLevel(0.87, config), 'warn');
  assert.equal(accuracyLevel(0.85, config), 'warn');
  assert.equal(accuracyLevel(0.84, config), 'bad');
});

test('config ceiling levels are inclusive at the threshold', () => {
  assert.equal(ceilingLevel(10, 10, 20), 'good');
  assert.equal(ceilingLevel(10.01, 10, 20), 'warn');
  assert.equal(ceilingLevel(20, 10, 20), 'warn');
  assert.equal(ceilingLevel(20.01, 10, 20), 'bad');
  assert.equal(ceilingLevel(null, 10, 20), 'unknown');
  assert.equal(latencyLevel(250), 'good');
  assert.equal(latencyLevel(251), 'warn');
  assert.equal(latencyLevel(1001), 'bad');
  assert.equal(errorRateLevel(0.05), 'good');
  assert.equal(errorRateLevel(0.06), 'warn');
  assert.equal(errorRateLevel(0.21), 'bad');
  assert.equal(resourceLevel(85), 'good');
  assert.equal(resourceLevel(90), 'warn');
  assert.equal(resourceLevel(96), 'bad');
});

test('config resource colour follows the server thresholds once merged', () => {
  const config = mergeServerConfig({ resource_warning_percent: 70, resource_critical_percent: 80 });
  assert.equal(resourceLevel(70, config), 'good');
  assert.equal(resourceLevel(75, config), 'warn');
  assert.equal(resourceLevel(80, config), 'warn');
  assert.equal(resourceLevel(80.1, config), 'bad');
  assert.equal(resourceLevel(null, config), 'unknown');
});

test('config health words and statuses map to levels', () => {
  assert.equal(healthWordLevel('healthy'), 'good');
  assert.equal(healthWordLevel('warning'), 'warn');
  assert.equal(healthWordLevel('critical'), 'bad');
  assert.equal(healthWordLevel('unknown'), 'unknown');
  assert.equal(statusLevel('active'), 'good');
  assert.equal(statusLevel('degraded'), 'bad');
  assert.equal(statusLevel('failed'), 'bad');
  assert.equal(statusLevel('training'), 'warn');
  assert.equal(statusLevel('inactive'), 'unknown');
  assert.equal(statusLevel('ready'), 'unknown');
});

test('config drift words map to levels', () => {
  assert.equal(driftWordLevel('none'), 'good');
  assert.equal(driftWordLevel('moderate'), 'warn');
  assert.equal(driftWordLevel('significant'), 'bad');
  assert.equal(driftWordLevel(undefined), 'unknown');
});

/**
 * The demo's judgement of its own numbers: the `trend` object and `model_health`.
 *
 * Pure and DOM-free.
 */

import { resourceLevel } from './config.js';

const TREND_EPSILON = Object.freeze({
  current_accuracy: 0.005,
  estimated_accuracy: 0.005,
  predictions_per_minute: 2,
  latency_p95_ms: 0.05,
  error_rate: 0.001,
  drift_score: 0.02,
});

/** The server's `trend` object: 'up' / 'down' / 'flat' per metric against the previous values. */
export function computeTrend(current, previous) {
  const pick = (m) => ({
    current_accuracy: m?.current_accuracy,
    estimated_accuracy: m?.estimated_accuracy,
    predictions_per_minute: m?.predictions_per_minute,
    latency_p95_ms: m?.latency_ms?.p95,
    error_rate: m?.error_rate,
    drift_score: m?.drift_score,
  });
  const now = pick(current);
  const before = pick(previous);
  const trend = {};
  for (const [key, epsilon] of Object.entries(TREND_EPSILON)) {
    const a = before[key];
    const b = now[key];
    if (typeof a !== 'number' || typeof b !== 'number' || Math.abs(b - a) <= epsilon) {
      trend[key] = 'flat';
    } else {
      trend[key] = b > a ? 'up' : 'down';
    }
  }
  return trend;
}

const HEALTH_RANK = Object.freeze({ unknown: 0, healthy: 0, warning: 1, critical: 2 });

/** `model_health` by the server's policy: accuracy first, latency and errors only make it worse. */
export function computeHealth(metrics, config) {
  let health = 'unknown';
  const accuracy = metrics.current_accuracy;
  if (metrics.accuracy_window >= config.min_labelled && typeof accuracy === 'number') {
    if (accuracy < config.accuracy_critical) health = 'critical';
    else if (accuracy < config.accuracy_warning) health = 'warning';
    else health = 'healthy';
  }
  const worsen = (candidate) => {
    if (HEALTH_RANK[candidate] > HEALTH_RANK[health]) health = candidate;
  };
  const p95 = metrics.latency_ms?.p95;
  if (typeof p95 === 'number') {
    if (p95 > config.latency_p95_critical_ms) worsen('critical');
    else if (p95 > config.latency_p95_warning_ms) worsen('warning');
  }
  const errors = metrics.error_rate;
  if (typeof errors === 'number') {
    if (errors > config.error_rate_critical) worsen('critical');
    else if (errors > config.error_rate_warning) worsen('warning');
  }
  return health;
}

const HEALTH_OF_LEVEL = Object.freeze({ good: 'healthy', warn: 'warning', bad: 'critical', unknown: 'unknown' });

/** `system_health` of the most used machine resource, a percentage, by `config`'s thresholds. */
export function systemHealth(worstPercent, config) {
  return HEALTH_OF_LEVEL[resourceLevel(worstPercent, config)];
}

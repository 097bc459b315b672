/**
 * The demo's judgement of its own numbers: the `trend` object and `model_health`.
 *
 * Pure and DOM-free.
 */

import { accuracyLevel, errorRateLevel, latencyLevel, resourceLevel } from './config.js';

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

const HEALTH_OF_LEVEL = Object.freeze({ good: 'healthy', warn: 'warning', bad: 'critical', unknown: 'unknown' });

/** `system_health` of the most used machine resource, a percentage, by `config`'s thresholds. */
export function systemHealth(worstPercent, config) {
  return HEALTH_OF_LEVEL[resourceLevel(worstPercent, config)];
}

const SEVERITY = Object.freeze(['unknown', 'healthy', 'warning', 'critical']);

const worstHealth = (a, b) => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a);

// Latency and error rate without data are healthy: only accuracy can leave a model unjudged.
const ceilingHealth = (level) => (level === 'unknown' ? 'healthy' : HEALTH_OF_LEVEL[level]);

/** `model_health` of the numbers of ModelTraffic.measure by `config`'s thresholds. */
export function computeHealth(metrics, config) {
  const accuracy = metrics.accuracy_window >= config.min_labelled
    ? HEALTH_OF_LEVEL[accuracyLevel(metrics.current_accuracy, config)]
    : 'unknown';
  const rest = worstHealth(
    ceilingHealth(latencyLevel(metrics.latency_ms?.p95, config)),
    ceilingHealth(errorRateLevel(metrics.error_rate, config)),
  );
  return accuracy === 'unknown' && rest === 'healthy' ? 'unknown' : worstHealth(accuracy, rest);
}

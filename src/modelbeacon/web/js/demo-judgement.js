/**
 * The demo's judgement of its own numbers, by the server's definitions rather than its own:
 *
 * - `trend` follows metrics/trend.py: each metric's newer half of its window against the older
 *   half, computed from ModelTraffic's windows of the simulated log, with trend.py's tolerances
 *   and minimum half sizes; predictions_per_minute compares the last minute with the one before;
 *   drift_score compares the PSI score of the newer half of the drift window with the older.
 * - `model_health` follows metrics/health.py: accuracy decides (unknown below min_labelled
 *   labels), latency p95 and error rate only make it worse, and unknown accuracy with a healthy
 *   rest stays unknown. Each part is a level of config.js (accuracyLevel, latencyLevel,
 *   errorRateLevel), so the demo judges by the same thresholds the page colours with.
 * - `status` follows metrics/status.py: `degraded` while the lifecycle status is `active`
 *   (served here) or `monitored` (served elsewhere) and health is `critical`, else the
 *   lifecycle status.
 * - `system_health` is resourceLevel of the most used resource, as a health word.
 *
 * Pure and DOM-free.
 */

import { accuracyLevel, errorRateLevel, latencyLevel, resourceLevel } from './config.js';
import { featurePsi, fraction, mean, nearestRank } from './demo-statistics.js';
import { DEMO_WINDOWS } from './demo-traffic.js';

/** metrics/trend.py's tolerances and minimum half sizes. */
const TREND_RULES = Object.freeze({
  fraction_tolerance: 0.01,
  relative_tolerance: 0.1,
  drift_tolerance: 0.05,
  min_half_samples: 10,
  min_half_calls: 20,
  min_drift_vectors: 10,
});

/** `[older, newer]`: the last `half` items and up to `half` items before them. */
function splitHalves(values, half) {
  const cut = Math.max(0, values.length - half);
  return [values.slice(Math.max(0, values.length - 2 * half), cut), values.slice(cut)];
}

/** 'up' / 'down' when `newer` differs from `older` by more than `tolerance`, else 'flat'. */
function compareTrend(newer, older, tolerance) {
  if (newer - older > tolerance) return 'up';
  if (older - newer > tolerance) return 'down';
  return 'flat';
}

const p95 = (latencies) => nearestRank([...latencies].sort((a, b) => a - b), 95);

/** The drift score (largest feature PSI) of bin vectors. */
const psiScore = (vectors) => Math.max(...featurePsi(vectors, vectors[0].length));

/** Trend of `summary` over the halves of `values`; flat while a half has fewer than `minimum`. */
function halvesTrend(values, half, minimum, summary, tolerance) {
  const [older, newer] = splitHalves(values, half);
  if (older.length < minimum || newer.length < minimum) return 'flat';
  const before = summary(older);
  return compareTrend(summary(newer), before, tolerance(before));
}

/** The `trend` object of the payload from `ModelTraffic.windows(nowMs)`. */
export function computeTrend(windows) {
  const rules = TREND_RULES;
  const fractionTolerance = () => rules.fraction_tolerance;
  const relativeTolerance = (older) => rules.relative_tolerance * older;
  return {
    current_accuracy: halvesTrend(windows.outcomes, DEMO_WINDOWS.labelled / 2, rules.min_half_samples,
      fraction, fractionTolerance),
    estimated_accuracy: halvesTrend(windows.confidences, DEMO_WINDOWS.confidence / 2, rules.min_half_samples,
      mean, fractionTolerance),
    predictions_per_minute: compareTrend(windows.lastMinute, windows.minuteBefore,
      Math.max(1, relativeTolerance(windows.minuteBefore))),
    latency_p95_ms: halvesTrend(windows.latencies, DEMO_WINDOWS.calls / 2, rules.min_half_calls,
      p95, relativeTolerance),
    error_rate: halvesTrend(windows.failed, DEMO_WINDOWS.calls / 2, rules.min_half_calls,
      fraction, fractionTolerance),
    drift_score: halvesTrend(windows.drift, DEMO_WINDOWS.drift / 2, rules.min_drift_vectors,
      psiScore, () => rules.drift_tolerance),
  };
}

const HEALTH_OF_LEVEL = Object.freeze({ good: 'healthy', warn: 'warning', bad: 'critical', unknown: 'unknown' });

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

/** Lifecycle statuses of a model in use, which show `degraded` while critical. */
const IN_USE = Object.freeze(['active', 'monitored']);

/** The status a model shows: `degraded` while it is in use and its health `critical`. */
export function effectiveStatus(baseStatus, health) {
  return IN_USE.includes(baseStatus) && health === 'critical' ? 'degraded' : baseStatus;
}

/** `system_health` of the most used machine resource, a percentage, by `config`'s thresholds. */
export function systemHealth(worstPercent, config) {
  return HEALTH_OF_LEVEL[resourceLevel(worstPercent, config)];
}

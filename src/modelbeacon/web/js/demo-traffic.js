/**
 * One model's simulated prediction log and the live numbers measured from it, over windows of
 * the server's sizes (DESIGN.md section 3).
 *
 * Pure and DOM-free: the clock is an argument, the randomness a seeded source (rng.js).
 */

import { DEMO_TIMELINE, driftSeverity, expectedRate, trueAccuracy } from './demo-timeline.js';

/** Window sizes, as the server's defaults except drift (the server's is 100 feature vectors). */
export const DEMO_WINDOWS = Object.freeze({
  labelled: 100,
  confidence: 100,
  calls: 1000,
  drift: 50,
});
const KEEP_PREDICTIONS = 2000;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** Nearest-rank `percent`-th percentile (integer percent) of ascending `sorted`; null if empty. */
export function nearestRank(sorted, percent) {
  if (sorted.length === 0) return null;
  return sorted[Math.ceil((percent * sorted.length) / 100) - 1];
}

/** Mean of non-empty `values`. */
export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Share of true among non-empty `flags`. */
export const fraction = (flags) => flags.filter(Boolean).length / flags.length;

/** The demo's drift score of predictions with these simulated drift severities, before noise. */
export const driftScore = (severities) => 0.05 + 0.7 * mean(severities);

const round = (value, digits) => (value == null ? null : Number(value.toFixed(digits)));

/**
 * One model's simulated prediction log and the live numbers derived from it, the way the
 * server derives them (last 100 labelled, last 100 confidences, last 1000 calls, 60 s rate).
 */
export class ModelTraffic {
  constructor(model, rng, timeline = DEMO_TIMELINE) {
    this.model = model;
    this.rng = rng;
    this.timeline = timeline;
    this.log = [];
    this.predictionSeq = 0;
  }

  /** Simulate the predictions of the interval (fromMs, toMs]; returns the new log entries. */
  simulate(fromMs, toMs, worldSeconds, { loadFactor = 0 } = {}) {
    const { rng, timeline } = this;
    const lambda = (expectedRate(worldSeconds, timeline) / 60) * ((toMs - fromMs) / 1000);
    const count = rng.poisson(Math.max(0, lambda));
    const times = Array.from({ length: count }, () => rng.uniform(fromMs, toMs)).sort((a, b) => a - b);
    const accuracy = trueAccuracy(worldSeconds, this.model.validation_accuracy ?? 0.9, timeline);
    const severity = driftSeverity(worldSeconds, timeline);
    const classes = this.model.classes;
    const created = [];
    for (const time of times) {
      // Inside (fromMs, toMs]: the interval's prediction_logged then counts exactly these.
      const timestamp = Math.min(toMs, Math.max(fromMs + 1, Math.round(time)));
      this.predictionSeq += 1;
      const failed = rng.chance(timeline.error_probability);
      const correct = rng.chance(accuracy);
      const labelled = !failed && rng.chance(timeline.label_fraction);
      const [minDelay, maxDelay] = timeline.label_delay_seconds;
      const entry = {
        prediction_id: `${this.model.id}-${this.predictionSeq}`,
        timestamp,
        prediction: failed ? null : rng.pick(classes),
        // Latency: log-normal around 0.45 ms, a little slower under load, rare slow calls.
        latency_ms: round(
          Math.exp(rng.normal(Math.log(0.45 * (1 + loadFactor)), 0.35))
            + (rng.chance(0.01) ? rng.uniform(5, 20) : 0),
          3,
        ),
        error: failed,
        // Models are overconfident under drift: the top-class probability falls less than
        // the accuracy does, which is exactly why the live label-based number matters.
        confidence: failed ? null : clamp(rng.normal(0.93 - 0.45 * (0.95 - accuracy), 0.04), 0.34, 1),
        // Label noise: a wrong ground-truth label now and then flips the observed outcome.
        observed_correct: rng.chance(timeline.label_noise) ? !correct : correct,
        labelled_at: labelled ? timestamp + rng.uniform(minDelay, maxDelay) * 1000 : null,
        drift: severity,
      };
      this.log.push(entry);
      created.push(entry);
    }
    if (this.log.length > KEEP_PREDICTIONS) this.log.splice(0, this.log.length - KEEP_PREDICTIONS);
    this.model.total_predictions += created.length;
    return created;
  }

  /**
   * The windows of the log at `nowMs`, each oldest first: the outcomes of the last
   * `DEMO_WINDOWS.labelled` labelled predictions, the last confidences, the failed flags of the
   * last calls and the latencies of the successes among them, the drift severities of the last
   * predictions, and the prediction counts of (now-60 s, now] and of (now-120 s, now-60 s].
   */
  windows(nowMs) {
    const past = this.log.filter((entry) => entry.timestamp <= nowMs);
    const outcomes = [];
    const confidences = [];
    for (let i = past.length - 1; i >= 0; i -= 1) {
      const entry = past[i];
      if (outcomes.length < DEMO_WINDOWS.labelled && entry.labelled_at !== null && entry.labelled_at <= nowMs) {
        outcomes.push(entry.observed_correct);
      }
      if (confidences.length < DEMO_WINDOWS.confidence && entry.confidence !== null) {
        confidences.push(entry.confidence);
      }
      if (outcomes.length >= DEMO_WINDOWS.labelled && confidences.length >= DEMO_WINDOWS.confidence) break;
    }
    const countAfter = (sinceMs) => {
      let count = 0;
      for (let i = past.length - 1; i >= 0 && past[i].timestamp > sinceMs; i -= 1) count += 1;
      return count;
    };
    const lastMinute = countAfter(nowMs - 60_000);
    const calls = past.slice(-DEMO_WINDOWS.calls);
    return {
      outcomes: outcomes.reverse(),
      confidences: confidences.reverse(),
      failed: calls.map((entry) => entry.error),
      latencies: calls.filter((entry) => !entry.error).map((entry) => entry.latency_ms),
      drift: past.slice(-DEMO_WINDOWS.drift).map((entry) => entry.drift),
      lastMinute,
      minuteBefore: countAfter(nowMs - 120_000) - lastMinute,
    };
  }

  /** The section-3 numbers at `nowMs` (without status, health, trend: the world adds those). */
  measure(nowMs) {
    const { outcomes, confidences, failed, latencies, drift, lastMinute } = this.windows(nowMs);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      total_predictions: this.model.total_predictions,
      predictions_per_minute: lastMinute,
      current_accuracy: outcomes.length ? fraction(outcomes) : null,
      accuracy_window: outcomes.length,
      estimated_accuracy: confidences.length ? round(mean(confidences), 4) : null,
      latency_ms: {
        p50: nearestRank(sorted, 50),
        p95: nearestRank(sorted, 95),
        p99: nearestRank(sorted, 99),
      },
      error_rate: failed.length ? round(fraction(failed), 4) : null,
      drift_score: drift.length ? round(clamp(driftScore(drift) + this.rng.normal(0, 0.01), 0, 1), 3) : null,
    };
  }
}

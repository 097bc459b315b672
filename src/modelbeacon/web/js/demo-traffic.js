/**
 * One model's simulated prediction log and the live numbers measured from it, over windows of
 * the server's sizes (DESIGN.md section 3).
 *
 * Pure and DOM-free: the clock is an argument, the randomness a seeded source (rng.js).
 */

import { binOf, driftSummary, fraction, mean, nearestRank, wilsonInterval } from './demo-statistics.js';
import { DEMO_TIMELINE, expectedRate, featureShift, trueAccuracy } from './demo-timeline.js';

/** Window sizes, as the server's defaults except drift. */
export const DEMO_WINDOWS = Object.freeze({
  labelled: 100,
  confidence: 100,
  calls: 1000,
  coverage: 1000,
  // The server measures drift over 1000 predictions: at the demo's ~110 a minute that is nine
  // minutes, longer than the whole drift episode. 300 (under three minutes) lets the short
  // episode show; the level lines and the 100-prediction minimum are the server's.
  drift: 300,
});
const KEEP_PREDICTIONS = 2000;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

const round = (value, digits) => (value == null ? null : Number(value.toFixed(digits)));

/** A class other than `truth`: mostly its neighbour, so errors gather in a few cells. */
function wrongClass(classes, truth, rng) {
  const others = classes.filter((c) => c !== truth);
  if (others.length === 1 || rng.chance(0.3)) return rng.pick(others);
  return classes[(classes.indexOf(truth) + 1) % classes.length];
}

/** `{classes, matrix}`: row = label, column = prediction, over the labelled `entries`. */
function confusionOf(entries, classes) {
  const index = new Map(classes.map((c, i) => [c, i]));
  const matrix = classes.map(() => classes.map(() => 0));
  for (const entry of entries) matrix[index.get(entry.label)][index.get(entry.prediction)] += 1;
  return { classes: [...classes], matrix };
}

/**
 * One model's simulated prediction log and the live numbers derived from it, the way the
 * server derives them (last 100 labelled, last 100 confidences, last 1000 calls, 60 s rate).
 */
export class ModelTraffic {
  /**
   * @param {object} model  the world's model object (its total_predictions grows here)
   * @param {object} rng  rng.js source
   * @param {object} [timeline]  DEMO_TIMELINE or another of its shape
   * @param {{baseAccuracy?: number}} [options]  how often the model is right outside drift;
   *   by default its validation accuracy (0.9 without one, as a model served elsewhere)
   */
  constructor(model, rng, timeline = DEMO_TIMELINE, { baseAccuracy = null } = {}) {
    this.model = model;
    this.rng = rng;
    this.timeline = timeline;
    this.baseAccuracy = baseAccuracy;
    this.log = [];
    this.predictionSeq = 0;
  }

  /** Simulate the predictions of the interval (fromMs, toMs]; returns the new log entries. */
  simulate(fromMs, toMs, worldSeconds, { loadFactor = 0 } = {}) {
    const { rng, timeline } = this;
    const lambda = (expectedRate(worldSeconds, timeline) / 60) * ((toMs - fromMs) / 1000);
    const count = rng.poisson(Math.max(0, lambda));
    const times = Array.from({ length: count }, () => rng.uniform(fromMs, toMs)).sort((a, b) => a - b);
    const base = this.baseAccuracy ?? this.model.validation_accuracy ?? 0.9;
    const accuracy = trueAccuracy(worldSeconds, base, timeline);
    const shifts = this.model.feature_names.map((_, i) => featureShift(worldSeconds, i, timeline));
    const classes = this.model.classes;
    const created = [];
    for (const time of times) {
      // Inside (fromMs, toMs]: the interval's prediction_logged then counts exactly these.
      const timestamp = Math.min(toMs, Math.max(fromMs + 1, Math.round(time)));
      this.predictionSeq += 1;
      const failed = rng.chance(timeline.error_probability);
      const truth = rng.pick(classes);
      const prediction = rng.chance(accuracy) ? truth : wrongClass(classes, truth, rng);
      const labelled = !failed && rng.chance(timeline.label_fraction);
      const [minDelay, maxDelay] = timeline.label_delay_seconds;
      const entry = {
        prediction_id: `${this.model.id}-${this.predictionSeq}`,
        timestamp,
        prediction: failed ? null : prediction,
        // Latency: log-normal around the timeline's median, a little slower under load, rare
        // slow calls.
        latency_ms: round(
          Math.exp(rng.normal(Math.log(timeline.latency_median_ms * (1 + loadFactor)), 0.35))
            + (rng.chance(0.01) ? rng.uniform(...timeline.latency_slow_ms) : 0),
          3,
        ),
        error: failed,
        // The calibrated top-class probability: right on average while the inputs look like the
        // training split, overconfident under drift (it falls about a third of what accuracy
        // falls), which is why the estimate's gap to the labels is shown.
        confidence: failed ? null : clamp(rng.normal(base - 0.35 * (base - accuracy), 0.04), 1 / classes.length, 1),
        // The ground truth the feedback will carry; now and then it is wrong (label noise).
        label: rng.chance(timeline.label_noise) ? wrongClass(classes, truth, rng) : truth,
        labelled_at: labelled ? timestamp + rng.uniform(minDelay, maxDelay) * 1000 : null,
        // Feature values in training standard deviations, kept as their reference bins.
        bins: failed ? null : shifts.map((shift) => binOf(rng.normal(shift, 1))),
      };
      this.log.push(entry);
      created.push(entry);
    }
    if (this.log.length > KEEP_PREDICTIONS) this.log.splice(0, this.log.length - KEEP_PREDICTIONS);
    this.model.total_predictions += created.length;
    return created;
  }

  /**
   * The windows of the log at `nowMs`, each oldest first: the last `DEMO_WINDOWS.labelled`
   * labelled predictions, the last confidences, the failed flags of the last calls and the
   * latencies of the successes among them, the labelled flags of the last successes (label
   * coverage), the feature bins of the last predictions (drift), and the prediction counts of
   * (now-60 s, now] and of (now-120 s, now-60 s].
   */
  windows(nowMs) {
    const past = this.log.filter((entry) => entry.timestamp <= nowMs);
    const labelled = [];
    const confidences = [];
    for (let i = past.length - 1; i >= 0; i -= 1) {
      const entry = past[i];
      if (labelled.length < DEMO_WINDOWS.labelled && entry.labelled_at !== null && entry.labelled_at <= nowMs) {
        labelled.push(entry);
      }
      if (confidences.length < DEMO_WINDOWS.confidence && entry.confidence !== null) {
        confidences.push(entry.confidence);
      }
      if (labelled.length >= DEMO_WINDOWS.labelled && confidences.length >= DEMO_WINDOWS.confidence) break;
    }
    labelled.reverse();
    const countAfter = (sinceMs) => {
      let count = 0;
      for (let i = past.length - 1; i >= 0 && past[i].timestamp > sinceMs; i -= 1) count += 1;
      return count;
    };
    const lastMinute = countAfter(nowMs - 60_000);
    const calls = past.slice(-DEMO_WINDOWS.calls);
    const successes = past.filter((entry) => !entry.error);
    return {
      labelled,
      outcomes: labelled.map((entry) => entry.label === entry.prediction),
      confidences: confidences.reverse(),
      failed: calls.map((entry) => entry.error),
      latencies: calls.filter((entry) => !entry.error).map((entry) => entry.latency_ms),
      covered: successes.slice(-DEMO_WINDOWS.coverage)
        .map((entry) => entry.labelled_at !== null && entry.labelled_at <= nowMs),
      drift: successes.slice(-DEMO_WINDOWS.drift).map((entry) => entry.bins),
      lastMinute,
      minuteBefore: countAfter(nowMs - 120_000) - lastMinute,
    };
  }

  /** The section-3 numbers at `nowMs` (without status, health, trend: the world adds those). */
  measure(nowMs) {
    const { labelled, outcomes, confidences, failed, latencies, covered, drift, lastMinute } = this.windows(nowMs);
    const sorted = [...latencies].sort((a, b) => a - b);
    const accuracy = outcomes.length ? fraction(outcomes) : null;
    const interval = outcomes.length ? wilsonInterval(outcomes.filter(Boolean).length, outcomes.length) : null;
    const delays = labelled.map((entry) => (entry.labelled_at - entry.timestamp) / 1000).sort((a, b) => a - b);
    const driftNow = driftSummary(drift, this.model.feature_names);
    return {
      total_predictions: this.model.total_predictions,
      predictions_per_minute: lastMinute,
      current_accuracy: accuracy,
      accuracy_window: outcomes.length,
      accuracy_interval: interval && { low: round(interval.low, 4), high: round(interval.high, 4) },
      estimated_accuracy: confidences.length ? round(mean(confidences), 4) : null,
      // Over the labelled predictions of the accuracy window, as the server defines it.
      estimate_gap: labelled.length ? round(mean(labelled.map((entry) => entry.confidence)) - accuracy, 4) : null,
      confusion: labelled.length ? confusionOf(labelled, this.model.classes) : null,
      label_coverage: covered.length ? round(fraction(covered), 4) : null,
      label_delay_seconds: delays.length
        ? { p50: round(nearestRank(delays, 50), 2), p95: round(nearestRank(delays, 95), 2) }
        : null,
      latency_ms: {
        p50: nearestRank(sorted, 50),
        p95: nearestRank(sorted, 95),
        p99: nearestRank(sorted, 99),
      },
      error_rate: failed.length ? round(fraction(failed), 4) : null,
      drift: driftNow,
      drift_score: driftNow?.score ?? null,
    };
  }
}

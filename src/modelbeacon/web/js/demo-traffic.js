/**
 * One model's simulated prediction log and the live numbers measured from it, over windows of
 * the server's sizes (DESIGN.md section 3).
 *
 * Pure and DOM-free: the clock is an argument, the randomness a seeded source (rng.js).
 */

import { DEMO_TIMELINE, driftSeverity, expectedRate, trueAccuracy } from './demo-timeline.js';

const WINDOW_LABELLED = 100;
const WINDOW_CONFIDENCE = 100;
const WINDOW_CALLS = 1000;
const KEEP_PREDICTIONS = 2000;

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

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

  /** The section-3 numbers at `nowMs` (without status, health, trend: the world adds those). */
  measure(nowMs) {
    const log = this.log;
    let perMinute = 0;
    for (let i = log.length - 1; i >= 0 && log[i].timestamp > nowMs - 60_000; i -= 1) {
      if (log[i].timestamp <= nowMs) perMinute += 1;
    }
    const labelled = [];
    const confidences = [];
    for (let i = log.length - 1; i >= 0; i -= 1) {
      const entry = log[i];
      if (entry.timestamp > nowMs) continue;
      if (labelled.length < WINDOW_LABELLED && entry.labelled_at !== null && entry.labelled_at <= nowMs) {
        labelled.push(entry);
      }
      if (confidences.length < WINDOW_CONFIDENCE && entry.confidence !== null) {
        confidences.push(entry.confidence);
      }
      if (labelled.length >= WINDOW_LABELLED && confidences.length >= WINDOW_CONFIDENCE) break;
    }
    const calls = log.filter((entry) => entry.timestamp <= nowMs).slice(-WINDOW_CALLS);
    const latencies = calls.filter((entry) => !entry.error).map((entry) => entry.latency_ms);
    latencies.sort((a, b) => a - b);
    const correct = labelled.filter((entry) => entry.observed_correct).length;
    const recent = log.filter((entry) => entry.timestamp <= nowMs).slice(-50);
    const drift = recent.length
      ? recent.reduce((sum, entry) => sum + entry.drift, 0) / recent.length
      : null;
    return {
      total_predictions: this.model.total_predictions,
      predictions_per_minute: perMinute,
      current_accuracy: labelled.length ? correct / labelled.length : null,
      accuracy_window: labelled.length,
      estimated_accuracy: confidences.length
        ? round(confidences.reduce((a, b) => a + b, 0) / confidences.length, 4)
        : null,
      latency_ms: latencies.length
        ? {
            p50: percentile(latencies, 0.5),
            p95: percentile(latencies, 0.95),
            p99: percentile(latencies, 0.99),
          }
        : { p50: null, p95: null, p99: null },
      error_rate: calls.length ? round(calls.filter((entry) => entry.error).length / calls.length, 4) : null,
      drift_score: drift === null ? null : round(clamp(0.05 + 0.7 * drift + this.rng.normal(0, 0.01), 0, 1), 3),
    };
  }
}

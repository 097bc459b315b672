/**
 * The simulated world behind demo mode, part 1: a seeded random source, the time-based shape
 * of the demo (a daily-like wave of traffic, a drift episode, the training schedule) and one
 * model's live numbers computed from its simulated prediction log with the same definitions
 * as the server (DESIGN.md section 3).
 *
 * Pure and DOM-free. Every function takes the clock as an argument, so a seed and a start
 * time fix the whole demo.
 */

/** The demo's timeline, in seconds of simulated time since the world started. */
export const DEMO_TIMELINE = Object.freeze({
  cycle_seconds: 720,
  // Auto retraining of the active model (a new version, deployed when ready).
  retrain_at: 30,
  // An experiment on another dataset; it fails on odd cycles so training_failed is seen too.
  experiment_at: 560,
  // Drift: accuracy falls from drift_start to drift_full, holds, recovers until drift_end.
  drift_start: 200,
  drift_full: 260,
  drift_recover: 380,
  drift_end: 440,
  max_accuracy_drop: 0.26,
  // A "day" compressed into ten minutes: the prediction rate swings around its base.
  day_seconds: 600,
  base_rate_per_minute: 110,
  rate_amplitude_per_minute: 60,
  label_fraction: 0.8,
  label_delay_seconds: [2, 20],
  label_noise: 0.02,
  error_probability: 0.002,
});

const WINDOW_LABELLED = 100;
const WINDOW_CONFIDENCE = 100;
const WINDOW_CALLS = 1000;
const KEEP_PREDICTIONS = 2000;

/** mulberry32: a small, fast, seedable generator; good enough for a demo, not for secrets. */
export function createRng(seed) {
  let state = (Number(seed) >>> 0) || 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    chance: (p) => next() < p,
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    normal(mean = 0, sd = 1) {
      // Box-Muller; 1 - next() keeps the logarithm finite.
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    poisson(lambda) {
      // Knuth's method: lambda here is at most a few per tick.
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > limit) {
        k += 1;
        p *= next();
      }
      return k;
    },
  };
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** Position in the demo cycle, in seconds. */
export function cyclePosition(seconds, timeline = DEMO_TIMELINE) {
  return ((seconds % timeline.cycle_seconds) + timeline.cycle_seconds) % timeline.cycle_seconds;
}

/** Expected predictions per minute at `seconds`: the daily-like wave. */
export function expectedRate(seconds, timeline = DEMO_TIMELINE) {
  const phase = (2 * Math.PI * seconds) / timeline.day_seconds;
  return timeline.base_rate_per_minute + timeline.rate_amplitude_per_minute * Math.sin(phase);
}

/** Drift severity in [0, 1] at `seconds`: 0 outside the episode, 1 at its worst. */
export function driftSeverity(seconds, timeline = DEMO_TIMELINE) {
  const p = cyclePosition(seconds, timeline);
  const { drift_start: a, drift_full: b, drift_recover: c, drift_end: d } = timeline;
  if (p < a || p >= d) return 0;
  if (p < b) return (p - a) / (b - a);
  if (p < c) return 1;
  return 1 - (p - c) / (d - c);
}

/** How often the model is really right at `seconds`, for a model of validation accuracy `base`. */
export function trueAccuracy(seconds, base, timeline = DEMO_TIMELINE) {
  return clamp(base - timeline.max_accuracy_drop * driftSeverity(seconds, timeline), 0.3, 0.999);
}

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

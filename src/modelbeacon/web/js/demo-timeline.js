/**
 * The time-based shape of the demo: a daily-like wave of traffic, a drift episode and the
 * training schedule, all functions of simulated seconds since the world started.
 *
 * One cycle is 20 minutes, longer than the charts' 15-minute window, so the page can open
 * (`opens_at`) with the active model's full 15 minutes of history behind it, in the middle of
 * the drift episode: inputs shifted, accuracy down, the overconfident estimate still high.
 *
 * Pure and DOM-free. Every function takes the clock as an argument, so a seed and a start
 * time fix the whole demo.
 */

/** The demo's timeline, in seconds of simulated time since the world started. */
export const DEMO_TIMELINE = Object.freeze({
  cycle_seconds: 1200,
  // Where in the first cycle the page opens: the world starts this long before the page does.
  opens_at: 960,
  // Auto retraining of the active model (a new version, deployed when ready).
  retrain_at: 30,
  // An experiment on another dataset; it fails on odd cycles so training_failed is seen too.
  experiment_at: 560,
  // Drift: accuracy falls from drift_start to drift_full, holds, recovers until drift_end.
  drift_start: 800,
  drift_full: 860,
  drift_recover: 1040,
  drift_end: 1100,
  max_accuracy_drop: 0.26,
  // How far each feature's mean moves at the worst of the drift, in training standard
  // deviations, by feature position (later features stay put). PSI on decile bins: 0.4 sd is
  // about 0.15 (moderate), 0.7 about 0.46 and 0.9 about 0.75 (significant).
  feature_shift_sd: [0.4, 0, 0.9, 0.7],
  // A "day" compressed into ten minutes: the prediction rate swings around its base.
  day_seconds: 600,
  base_rate_per_minute: 110,
  rate_amplitude_per_minute: 60,
  label_fraction: 0.8,
  label_delay_seconds: [2, 20],
  label_noise: 0.02,
  error_probability: 0.002,
  // Server-side latency of a small scikit-learn model: log-normal around its median, and now
  // and then a slow call that adds a uniform draw from this range.
  latency_median_ms: 0.45,
  latency_slow_ms: [5, 20],
});

/**
 * The demo's model served elsewhere (registered, monitored here): less traffic, fewer and later
 * labels (they come back from another system), the latencies its own caller measured (a network
 * hop, not a function call), no failed calls to count (it makes none here), and a milder drift
 * episode earlier in the cycle, so the page opens on it calm, with a warning behind it on the
 * charts while the served model is in its drift episode.
 */
export const DEMO_MONITORED_TIMELINE = Object.freeze({
  ...DEMO_TIMELINE,
  drift_start: 240,
  drift_full: 300,
  drift_recover: 420,
  drift_end: 480,
  max_accuracy_drop: 0.11,
  feature_shift_sd: [0, 0.55, 0, 0.3],
  base_rate_per_minute: 45,
  rate_amplitude_per_minute: 20,
  label_fraction: 0.6,
  label_delay_seconds: [15, 90],
  error_probability: 0,
  latency_median_ms: 14,
  latency_slow_ms: [20, 45],
});

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

/** Mean of feature `index` at `seconds`, in training standard deviations from its training mean. */
export function featureShift(seconds, index, timeline = DEMO_TIMELINE) {
  return (timeline.feature_shift_sd[index] ?? 0) * driftSeverity(seconds, timeline);
}

/**
 * Every constant of the dashboard lives here.
 *
 * MODEL_METRICS mirrors the server's `config` object (GET /api/config and the `config` field of
 * the WebSocket `snapshot`, docs/PAYLOADS.md). The server is the authority: `mergeServerConfig`
 * overlays its values on these defaults so the page colours a number exactly where the server's
 * health policy changes state. CLIENT holds what only the browser cares about.
 *
 * DOM-free: importable by node's test runner.
 */

/** Defaults for the server-owned settings (same names and units as the server's `config`). */
export const MODEL_METRICS = Object.freeze({
  accuracy_warning: 0.85,
  accuracy_critical: 0.8,
  min_labelled: 20,
  latency_p95_warning_ms: 250,
  latency_p95_critical_ms: 1000,
  error_rate_warning: 0.05,
  error_rate_critical: 0.2,
  // Machine resources are "higher is worse" percentages (0-100) behind `system_health`.
  resource_warning_percent: 85,
  resource_critical_percent: 95,
  system_interval: 5,
  metrics_interval: 5,
  prediction_interval: 0.5,
});

/** Browser-only settings: reconnect policy, polling, chart window, animation and rate limits. */
export const CLIENT = Object.freeze({
  reconnect_base_ms: 500,
  reconnect_cap_ms: 30_000,
  ping_interval_ms: 20_000,
  // A socket that has said nothing for this long (pongs included) is presumed dead and closed.
  stale_socket_ms: 45_000,
  fallback_poll_ms: 5_000,
  chart_window_seconds: 15 * 60,
  // Charts redraw at most this often however fast updates arrive (METRICS_INTERVAL may be 0.1 s).
  chart_min_redraw_ms: 250,
  // The label-free estimate is "not to be trusted now" when it is further than this from the
  // realised accuracy on the same labelled predictions (and outside that accuracy's interval,
  // estimate-verdict.js). 0.05 is the distance between the health lines (warning 0.85, critical
  // 0.80): an estimate off by more could show a critical model as healthy, the one mistake a
  // person reading it must be warned of.
  estimate_gap_warning: 0.05,
  // Rows of the recent-predictions table (a prediction_logged message carries up to 20).
  recent_predictions_rows: 20,
  // GET /api/models this often: a model registered elsewhere says nothing on the socket until
  // its first prediction is logged, yet the picker should list it.
  models_refresh_ms: 30_000,
  // The URL query parameter that names the model chosen in the picker (`/?model=7`).
  choice_url_param: 'model',
  // Where this browser remembers the model chosen in the picker (demo mode keeps its own, as
  // its simulated ids mean nothing to a server).
  choice_storage_key: 'modelbeacon.model',
  demo_choice_storage_key: 'modelbeacon.demo.model',
  pulse_ms: 600,
  transition_ms: 400,
  relative_time_tick_ms: 1_000,
  render_stats_samples: 500,
  demo_tick_ms: 250,
});

/**
 * The server's PSI level lines (metrics/psi.py: none < 0.1 <= moderate < 0.2 <= significant).
 * The page shows the server's `level` words as they come; these only draw the drift chart's
 * guide lines.
 */
export const DRIFT_PSI = Object.freeze({ moderate: 0.1, significant: 0.2 });

/**
 * The built-in datasets, in the server's order: what the train form offers until (or unless)
 * GET /api/datasets answers.
 */
export const DATASETS = Object.freeze(['iris', 'wine', 'breast_cancer', 'digits']);
export const DATASET_LABELS = Object.freeze({
  iris: 'Iris', wine: 'Wine', breast_cancer: 'Breast cancer', digits: 'Digits',
});
export const ALGORITHMS = Object.freeze([
  'logistic_regression',
  'random_forest',
  'gradient_boosting',
  'sgd',
  'mlp',
]);

/** Model lifecycle statuses that may be deployed from the models panel. */
export const DEPLOYABLE_STATUSES = Object.freeze(['ready', 'inactive']);

/**
 * Overlay the server's config on `base` (MODEL_METRICS by default) and return a new frozen object.
 *
 * Only keys known in `base` are taken, and only when the server's value is a finite number: a
 * missing, null or malformed field keeps the default instead of turning a threshold into NaN.
 */
export function mergeServerConfig(serverConfig, base = MODEL_METRICS) {
  const merged = { ...base };
  if (serverConfig && typeof serverConfig === 'object') {
    for (const key of Object.keys(base)) {
      const value = serverConfig[key];
      if (typeof value === 'number' && Number.isFinite(value)) merged[key] = value;
    }
  }
  return Object.freeze(merged);
}

/**
 * Level of an accuracy-like fraction: 'good' at or above the warning threshold, 'warn' at or
 * above the critical one, 'bad' below it, 'unknown' when there is no number.
 * Same comparisons as the server's health policy (critical if < 0.80, warning if < 0.85).
 */
export function accuracyLevel(value, config = MODEL_METRICS) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'unknown';
  if (value < config.accuracy_critical) return 'bad';
  if (value < config.accuracy_warning) return 'warn';
  return 'good';
}

/** Level of a "higher is worse" number: 'bad' above critical, 'warn' above warning. */
export function ceilingLevel(value, warning, critical) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'unknown';
  if (value > critical) return 'bad';
  if (value > warning) return 'warn';
  return 'good';
}

export function latencyLevel(p95Ms, config = MODEL_METRICS) {
  return ceilingLevel(p95Ms, config.latency_p95_warning_ms, config.latency_p95_critical_ms);
}

export function errorRateLevel(rate, config = MODEL_METRICS) {
  return ceilingLevel(rate, config.error_rate_warning, config.error_rate_critical);
}

export function resourceLevel(percent, config = MODEL_METRICS) {
  return ceilingLevel(percent, config.resource_warning_percent, config.resource_critical_percent);
}

/** Level of a server health word (`model_health`, `system_health`). */
export function healthWordLevel(health) {
  switch (health) {
    case 'healthy':
      return 'good';
    case 'warning':
      return 'warn';
    case 'critical':
      return 'bad';
    default:
      return 'unknown';
  }
}

/** Level of a feature's drift word (`none`, `moderate`, `significant`). */
export function driftWordLevel(level) {
  switch (level) {
    case 'none':
      return 'good';
    case 'moderate':
      return 'warn';
    case 'significant':
      return 'bad';
    default:
      return 'unknown';
  }
}

/** Level of a model status for the status badge. */
export function statusLevel(status) {
  switch (status) {
    case 'active':
    case 'monitored':
      return 'good';
    case 'degraded':
    case 'failed':
      return 'bad';
    case 'training':
      return 'warn';
    default:
      return 'unknown';
  }
}

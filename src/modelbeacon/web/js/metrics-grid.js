/**
 * The Real-Time Metrics Grid: one Metric per tile, fed by `model_metrics_update`,
 * `system_metrics` and, while the socket is down, the polled `/api/monitoring/system`; the
 * accuracy tile shows its 95% interval, the estimate tile its gap to the labels, and the line
 * under the tiles whether the estimate can be trusted now (estimate-verdict.js).
 * For a model served elsewhere the latency tile shows the latencies its caller measured and
 * sent (or says none were sent), and the error rate is not applicable: it makes no calls here.
 * View module: touches only the grid's elements.
 */

import {
  CLIENT,
  accuracyLevel,
  errorRateLevel,
  healthWordLevel,
  latencyLevel,
  resourceLevel,
} from './config.js';
import { estimateVerdict } from './estimate-verdict.js';
import {
  Metric,
  formatCount,
  formatInterval,
  formatMs,
  formatPercent,
  formatPercentValue,
  formatPerMinute,
  formatPoints,
  formatSeconds,
  levelClass,
} from './ui-core.js';

const HEALTH_TEXT = Object.freeze({
  // Plain symbols rather than emoji: they render with the fonts every machine has.
  healthy: '✓ Healthy',
  warning: '⚠ Warning',
  critical: '✕ Critical',
});

export const formatHealth = (word) => HEALTH_TEXT[word] ?? (word ? String(word) : '—');

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

export function createMetricsGrid(grid, { getConfig }) {
  const tile = (name) => grid.querySelector(`[data-metric="${name}"]`);
  const metrics = {
    accuracy: new Metric(tile('accuracy'), { format: formatPercent, higherIsBetter: true }),
    estimated: new Metric(tile('estimated-accuracy'), { format: formatPercent, higherIsBetter: true }),
    coverage: new Metric(tile('label-coverage'), { format: formatPercent }),
    delay: new Metric(tile('label-delay'), { format: formatSeconds }),
    ppm: new Metric(tile('ppm'), { format: formatPerMinute, integer: true }),
    latency: new Metric(tile('latency'), { format: formatMs, higherIsBetter: false }),
    errorRate: new Metric(tile('error-rate'), { format: (v) => formatPercent(v, 2), higherIsBetter: false }),
    systemHealth: new Metric(tile('system-health'), { format: formatHealth }),
    cpu: new Metric(tile('cpu'), { format: formatPercentValue }),
    memory: new Metric(tile('memory'), { format: formatPercentValue }),
    disk: new Metric(tile('disk'), { format: formatPercentValue }),
    connections: new Metric(tile('connections'), { format: formatCount, integer: true }),
  };
  const $ = (testid) => grid.querySelector(`[data-testid="${testid}"]`);
  const el = {
    window: $('metric-accuracy-window'), interval: $('metric-accuracy-interval'), gap: $('metric-estimate-gap'),
    delayP95: $('metric-label-delay-p95'), verdict: $('estimate-verdict'),
  };
  let accuracyWindow = 0;
  let lastMetrics = {};
  let elsewhere = false;
  const tiles = { latency: tile('latency'), errorRate: tile('error-rate') };

  /** The captions under the latency and error-rate tiles, by where the model is served. */
  function latencyCaption(latency) {
    const values = `p50 ${formatMs(latency?.p50)} · p99 ${formatMs(latency?.p99)}`;
    if (!elsewhere) return values;
    return isNumber(latency?.p95) ? `${values} · measured by the caller` : 'no latencies sent by the caller';
  }
  const ERROR_CAPTION = Object.freeze({ here: 'last 1000 calls', elsewhere: 'n/a: served elsewhere, no calls here' });

  function accuracyTileLevel(accuracy, window) {
    const config = getConfig();
    // Below min_labelled the server calls health "unknown"; colouring a handful of labels red
    // or green would claim more than the data says.
    return window >= config.min_labelled ? accuracyLevel(accuracy, config) : 'unknown';
  }

  function setAccuracyWindow(window) {
    accuracyWindow = isNumber(window) ? window : 0;
    el.window.dataset.value = String(accuracyWindow);
    el.window.textContent = formatCount(accuracyWindow);
  }

  /** The accuracy's interval, the estimate's gap, label delay p95 and the verdict of `m`. */
  function renderEvidence(m) {
    const interval = m.accuracy_interval ?? null;
    el.interval.dataset.low = isNumber(interval?.low) ? String(interval.low) : '';
    el.interval.dataset.high = isNumber(interval?.high) ? String(interval.high) : '';
    el.interval.textContent = formatInterval(interval);
    el.gap.dataset.value = isNumber(m.estimate_gap) ? String(m.estimate_gap) : '';
    el.gap.textContent = formatPoints(m.estimate_gap);
    const p95 = m.label_delay_seconds?.p95;
    el.delayP95.dataset.value = isNumber(p95) ? String(p95) : '';
    el.delayP95.textContent = formatSeconds(p95);
    const verdict = estimateVerdict(m, { threshold: CLIENT.estimate_gap_warning, minLabelled: getConfig().min_labelled });
    el.verdict.dataset.level = verdict.level;
    el.verdict.className = `verdict ${levelClass(verdict.level)}`;
    el.verdict.textContent = verdict.text;
    // A green estimate that the labels contradict must not read as good news at a glance.
    metrics.estimated.root.classList.toggle('is-untrusted', verdict.level === 'bad');
    el.gap.className = levelClass(verdict.level);
    lastMetrics = m;
  }

  return {
    metrics,

    /** A live metrics object (docs/PAYLOADS.md) of the active model. */
    applyModelMetrics(m) {
      const config = getConfig();
      const trend = m.trend ?? {};
      setAccuracyWindow(m.accuracy_window);
      metrics.accuracy.update(m.current_accuracy ?? null, {
        trend: trend.current_accuracy ?? null,
        level: accuracyTileLevel(m.current_accuracy, accuracyWindow),
      });
      metrics.estimated.update(m.estimated_accuracy ?? null, {
        trend: trend.estimated_accuracy ?? null,
        level: accuracyLevel(m.estimated_accuracy, config),
      });
      metrics.coverage.update(m.label_coverage ?? null);
      metrics.delay.update(m.label_delay_seconds?.p50 ?? null);
      renderEvidence(m);
      metrics.ppm.update(m.predictions_per_minute ?? null, { trend: trend.predictions_per_minute ?? null });
      const latency = m.latency_ms ?? {};
      metrics.latency.update(latency.p95 ?? null, {
        trend: trend.latency_p95_ms ?? null,
        level: latencyLevel(latency.p95, config),
        sub: latencyCaption(latency),
      });
      metrics.errorRate.update(m.error_rate ?? null, {
        // No calls, no trend: an arrow beside "not applicable" would say something moved.
        trend: elsewhere ? null : trend.error_rate ?? null,
        level: errorRateLevel(m.error_rate, config),
      });
    },

    /** Empty the model tiles (no active model, or a new one without numbers yet). */
    clearModelMetrics() {
      setAccuracyWindow(0);
      renderEvidence({});
      for (const key of ['accuracy', 'estimated', 'coverage', 'delay', 'ppm', 'latency', 'errorRate']) {
        metrics[key].update(null, { trend: null, level: 'unknown' });
      }
      metrics.latency.update(null, { sub: latencyCaption(null) });
    },

    /** Whether the model shown is served elsewhere (true) or here; set before its numbers. */
    setServedElsewhere(flag) {
      elsewhere = Boolean(flag);
      const where = elsewhere ? 'elsewhere' : 'here';
      tiles.latency.dataset.served = where;
      tiles.errorRate.dataset.served = where;
      metrics.errorRate.subEl.textContent = ERROR_CAPTION[where];
      metrics.latency.subEl.textContent = latencyCaption(lastMetrics.latency_ms);
    },

    /** `system_metrics` fields (also the snapshot's `system` and the polled `system_status`). */
    applySystem(s) {
      const config = getConfig();
      metrics.systemHealth.update(s.system_health ?? null, { level: healthWordLevel(s.system_health) });
      metrics.cpu.update(s.cpu_percent ?? null, { level: resourceLevel(s.cpu_percent, config) });
      metrics.memory.update(s.memory_percent ?? null, { level: resourceLevel(s.memory_percent, config) });
      metrics.disk.update(s.disk_percent ?? null, { level: resourceLevel(s.disk_percent, config) });
      metrics.connections.update(s.active_connections ?? null);
    },

    /** `real_time_metrics` of `GET /api/monitoring/system` (no trend, no latency there). */
    applyPolledModelMetrics(r) {
      const config = getConfig();
      metrics.accuracy.update(r.live_accuracy ?? null, {
        trend: null,
        level: accuracyTileLevel(r.live_accuracy, accuracyWindow),
      });
      metrics.estimated.update(r.estimated_accuracy ?? null, {
        trend: null,
        level: accuracyLevel(r.estimated_accuracy, config),
      });
      metrics.ppm.update(r.predictions_per_minute ?? null, { trend: null });
    },

    /** Re-colour with new thresholds (the server's config arrived). */
    recolour() {
      const config = getConfig();
      metrics.accuracy.setLevel(accuracyTileLevel(metrics.accuracy.value, accuracyWindow));
      metrics.estimated.setLevel(accuracyLevel(metrics.estimated.value, config));
      renderEvidence(lastMetrics);
      metrics.latency.setLevel(latencyLevel(metrics.latency.value, config));
      metrics.errorRate.setLevel(errorRateLevel(metrics.errorRate.value, config));
      for (const key of ['cpu', 'memory', 'disk']) {
        metrics[key].setLevel(resourceLevel(metrics[key].value, config));
      }
    },

    /** Grey every tile (socket lost); a tile is un-greyed by its next update. */
    setDisconnected(disconnected) {
      grid.classList.toggle('is-disconnected', disconnected);
      for (const metric of Object.values(metrics)) metric.setStale(disconnected);
      el.verdict.classList.toggle('is-stale', disconnected);
    },
  };
}

/**
 * Charts of the last 15 minutes (accuracy with its 95% interval and the estimate,
 * predictions/min, latency p95, drift score) drawn with uPlot from the server's metrics
 * history: the points of GET .../metrics/history first (`load`), then each `metrics_history`
 * point as it is pushed (`push`).
 *
 * Each chart is created once; points go into a time-windowed column buffer and the chart gets
 * the columns with `setData` (uPlot's demos/stream-data.html), at most once per
 * `chart_min_redraw_ms` however fast updates come; its element's `data-points` says how many
 * points it was last given. uPlot is loaded with a dynamic import: when it is missing (not
 * installed: `make` copies it from node_modules) the numbers still work and the status line
 * says why.
 *
 * chartSample and SeriesBuffer are DOM-free; createCharts touches only the chart elements.
 */

import { CLIENT, DRIFT_PSI, MODEL_METRICS } from './config.js';
import { parseTimestamp } from './ui-core.js';

/**
 * A history point (an item of GET .../metrics/history's `points`, or the `point` of a
 * `metrics_history` message) as a chart sample: `t` in epoch seconds, fractions as given;
 * null when its timestamp cannot be read.
 */
export function chartSample(point) {
  const ms = parseTimestamp(point?.timestamp);
  if (ms === null) return null;
  const interval = point.accuracy_interval ?? null;
  return {
    t: ms / 1000,
    accuracy: point.current_accuracy,
    low: interval?.low,
    high: interval?.high,
    estimated: point.estimated_accuracy,
    ppm: point.predictions_per_minute,
    p95: point.latency_p95_ms,
    drift: point.drift_score,
  };
}

/** Columns `[t, ...fields]` of the points of the last `windowSeconds` (t in epoch seconds). */
export class SeriesBuffer {
  constructor(fields, windowSeconds = CLIENT.chart_window_seconds) {
    this.fields = fields;
    this.windowSeconds = windowSeconds;
    this.clear();
  }

  clear() {
    this.columns = [[], ...this.fields.map(() => [])];
  }

  /** Append a point; a point older than the newest one is dropped (x must stay ascending). */
  push(t, values) {
    const xs = this.columns[0];
    if (xs.length && t <= xs[xs.length - 1]) return false;
    xs.push(t);
    this.fields.forEach((field, i) => {
      const value = values[field];
      this.columns[i + 1].push(typeof value === 'number' && Number.isFinite(value) ? value : null);
    });
    let drop = 0;
    while (drop < xs.length && xs[drop] < t - this.windowSeconds) drop += 1;
    if (drop) for (const column of this.columns) column.splice(0, drop);
    return true;
  }

  /**
   * Hold `points` (`{t, ...values}`, oldest first: a history) followed by the points already
   * pushed that are newer than the last of them (the socket's, pushed while the history was on
   * its way).
   */
  load(points) {
    const xs = this.columns[0];
    const pushed = xs.map((t, i) => ({ t, ...Object.fromEntries(this.fields.map((f, j) => [f, this.columns[j + 1][i]])) }));
    this.clear();
    for (const point of points) this.push(point.t, point);
    for (const point of pushed) this.push(point.t, point);
  }

  get length() {
    return this.columns[0].length;
  }

  /** Fresh arrays for uPlot (it keeps references to what it is given). */
  data() {
    return this.columns.map((column) => column.slice());
  }
}

export const UPLOT_MISSING = 'charts unavailable: uPlot not installed — run make';

const AXIS = { stroke: '#9aa7b8', grid: { stroke: 'rgba(154,167,184,0.12)', width: 1 }, ticks: { stroke: 'rgba(154,167,184,0.25)', width: 1 } };

const percentValue = (u, v) => (v == null ? '—' : `${v.toFixed(1)}%`);

/** What each chart draws: the buffer fields, how a sample maps onto them, and uPlot's series. */
function chartSpecs(config) {
  const pct = (v) => (typeof v === 'number' ? v * 100 : null);
  return {
    accuracy: {
      fields: ['accuracy', 'high', 'low', 'estimated', 'warning', 'critical'],
      map: (s) => ({
        accuracy: pct(s.accuracy), high: pct(s.high), low: pct(s.low), estimated: pct(s.estimated),
        warning: config.accuracy_warning * 100, critical: config.accuracy_critical * 100,
      }),
      series: [
        { label: 'live accuracy', stroke: '#3fb950', width: 2, value: percentValue },
        { label: '95% interval', stroke: 'rgba(63,185,80,0.35)', width: 1, value: percentValue },
        // The interval's lower edge: drawn, but one legend entry names the band.
        { label: 'interval low', stroke: 'rgba(63,185,80,0.35)', width: 1, value: percentValue, class: 'legend-hidden' },
        { label: 'estimated', stroke: '#58a6ff', width: 1.5, dash: [6, 4], value: percentValue },
        { label: 'warning', stroke: 'rgba(210,153,34,0.8)', width: 1, dash: [2, 4] },
        { label: 'critical', stroke: 'rgba(248,81,73,0.8)', width: 1, dash: [2, 4] },
      ],
      // Series indices count uPlot's x series as 0: fill between the interval's high and low.
      bands: [{ series: [2, 3], fill: 'rgba(63,185,80,0.16)' }],
      range: (u, min) => [Math.min(60, Math.floor((min ?? 60) / 5) * 5), 100],
    },
    ppm: {
      fields: ['ppm'],
      map: (s) => ({ ppm: s.ppm }),
      series: [{ label: 'predictions/min', stroke: '#d2a8ff', width: 2, fill: 'rgba(210,168,255,0.10)', value: (u, v) => (v == null ? '—' : `${v}/min`) }],
      range: (u, min, max) => [0, Math.max(10, Math.ceil(((max ?? 0) * 1.15) / 10) * 10)],
    },
    latency: {
      fields: ['p95'],
      map: (s) => ({ p95: s.p95 }),
      series: [{ label: 'p95', stroke: '#ffa657', width: 2, value: (u, v) => (v == null ? '—' : `${v.toFixed(2)} ms`) }],
      range: (u, min, max) => [0, Math.max(1, (max ?? 1) * 1.2)],
    },
    drift: {
      fields: ['drift', 'moderate', 'significant'],
      map: (s) => ({ drift: s.drift, moderate: DRIFT_PSI.moderate, significant: DRIFT_PSI.significant }),
      series: [
        { label: 'largest PSI', stroke: '#79c0ff', width: 2, fill: 'rgba(121,192,255,0.08)', value: (u, v) => (v == null ? '—' : v.toFixed(3)) },
        { label: 'moderate', stroke: 'rgba(210,153,34,0.8)', width: 1, dash: [2, 4] },
        { label: 'significant', stroke: 'rgba(248,81,73,0.8)', width: 1, dash: [2, 4] },
      ],
      range: (u, min, max) => [0, Math.max(0.3, Math.ceil((max ?? 0) * 1.2 * 10) / 10)],
    },
  };
}

/**
 * @param {Element} panel  the `[data-panel=charts]` section, holding every `[data-chart]` figure
 * @param {object} [options]
 * @param {() => Promise<{default: Function}>} [options.loadUPlot]  injectable for tests
 */
export function createCharts(panel, {
  loadUPlot = () => import('../vendor/uPlot.esm.js'),
  config = MODEL_METRICS,
  windowSeconds = CLIENT.chart_window_seconds,
  minRedrawMs = CLIENT.chart_min_redraw_ms,
  timers = { setTimeout: globalThis.setTimeout.bind(globalThis) },
  now = () => globalThis.performance.now(),
} = {}) {
  const status = panel.querySelector('[data-testid="chart-status"]');
  let specs = chartSpecs(config);
  const buffers = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, new SeriesBuffer(spec.fields, windowSeconds)]),
  );
  const plots = {};
  const figures = Object.fromEntries(Object.keys(specs).map((name) => [name, panel.querySelector(`[data-chart="${name}"]`)]));
  let redrawTimer = null;
  let lastDraw = -Infinity;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function draw() {
    redrawTimer = null;
    lastDraw = now();
    for (const [name, plot] of Object.entries(plots)) {
      plot.setData(buffers[name].data());
      figures[name].dataset.points = String(buffers[name].length);
    }
  }

  function scheduleDraw() {
    if (redrawTimer !== null || Object.keys(plots).length === 0) return;
    redrawTimer = timers.setTimeout(draw, Math.max(0, minRedrawMs - (now() - lastDraw)));
  }

  function build(uPlot) {
    for (const [name, spec] of Object.entries(specs)) {
      const host = figures[name].querySelector('.chart-canvas');
      const width = Math.max(240, host.clientWidth || 360);
      plots[name] = new uPlot({
        width,
        height: 170,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // Slide with the newest point so the window always shows the last 15 minutes.
          x: {
            time: true,
            range: (u) => {
              // Decide from the data itself: for an empty chart uPlot passes no usable max.
              const xs = u.data[0] ?? [];
              const end = xs.length > 0 ? xs[xs.length - 1] : Date.now() / 1000;
              return [end - windowSeconds, end];
            },
          },
          y: { range: spec.range },
        },
        axes: [{ ...AXIS }, { ...AXIS, size: 44 }],
        series: [{}, ...spec.series.map((s) => ({ spanGaps: false, points: { show: false }, ...s }))],
        bands: spec.bands ?? [],
      }, buffers[name].data(), host);
    }
    if (typeof globalThis.ResizeObserver === 'function') {
      const observer = new globalThis.ResizeObserver(() => {
        for (const [name, plot] of Object.entries(plots)) {
          const width = Math.max(240, figures[name].querySelector('.chart-canvas').clientWidth);
          if (width !== plot.width) plot.setSize({ width, height: 170 });
        }
      });
      observer.observe(panel);
    }
  }

  const ready = loadUPlot().then(
    (module) => {
      try {
        build(module.default ?? module.uPlot ?? module);
      } catch (error) {
        setStatus('unavailable', `charts unavailable: ${error.message}`);
        panel.classList.add('charts-unavailable');
        return false;
      }
      setStatus('ready', `live · ${Math.round(windowSeconds / 60)} min window`);
      draw();
      return true;
    },
    (error) => {
      setStatus('unavailable', UPLOT_MISSING);
      panel.classList.add('charts-unavailable');
      globalThis.console?.warn(UPLOT_MISSING, error);
      return false;
    },
  );

  return {
    ready,

    /** The history's `points` (oldest first), under any point pushed meanwhile. */
    load(points) {
      const samples = (Array.isArray(points) ? points : []).map(chartSample).filter(Boolean);
      for (const [name, spec] of Object.entries(specs)) {
        buffers[name].load(samples.map((sample) => ({ t: sample.t, ...spec.map(sample) })));
      }
      scheduleDraw();
    },

    /** One history point (the `point` of a `metrics_history` message). */
    push(point) {
      const sample = chartSample(point);
      if (sample === null) return;
      for (const [name, spec] of Object.entries(specs)) buffers[name].push(sample.t, spec.map(sample));
      scheduleDraw();
    },

    /** Empty every chart (another model is shown). */
    reset() {
      for (const buffer of Object.values(buffers)) buffer.clear();
      scheduleDraw();
    },

    setConfig(next) {
      specs = chartSpecs(next);
    },
  };
}

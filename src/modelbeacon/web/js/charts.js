/**
 * Charts of the last 15 minutes (accuracy, predictions/min, latency p95) drawn with uPlot.
 *
 * Each chart is created once; new points go into a time-windowed column buffer and the chart
 * gets the columns with `setData` (uPlot's demos/stream-data.html), at most once per
 * `chart_min_redraw_ms` however fast updates come. uPlot is loaded with a dynamic import: when
 * it is missing (not installed: `make` copies it from node_modules) the numbers still work and
 * the status line says why.
 *
 * SeriesBuffer is DOM-free; createCharts touches only the charts panel.
 */

import { CLIENT, MODEL_METRICS } from './config.js';

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

function chartSpecs(config) {
  const pct = (v) => (v == null ? null : v * 100);
  return {
    accuracy: {
      fields: ['accuracy', 'estimated', 'warning', 'critical'],
      map: (p) => ({
        accuracy: pct(p.accuracy), estimated: pct(p.estimated),
        warning: config.accuracy_warning * 100, critical: config.accuracy_critical * 100,
      }),
      series: [
        { label: 'live accuracy', stroke: '#3fb950', width: 2, value: (u, v) => (v == null ? '—' : `${v.toFixed(1)}%`) },
        { label: 'estimated', stroke: '#58a6ff', width: 1.5, dash: [6, 4], value: (u, v) => (v == null ? '—' : `${v.toFixed(1)}%`) },
        { label: 'warning', stroke: 'rgba(210,153,34,0.8)', width: 1, dash: [2, 4], points: { show: false } },
        { label: 'critical', stroke: 'rgba(248,81,73,0.8)', width: 1, dash: [2, 4], points: { show: false } },
      ],
      range: (u, min, max) => [Math.min(60, Math.floor((min ?? 60) / 5) * 5), 100],
    },
    ppm: {
      fields: ['ppm'],
      map: (p) => ({ ppm: p.ppm }),
      series: [{ label: 'predictions/min', stroke: '#d2a8ff', width: 2, fill: 'rgba(210,168,255,0.10)', value: (u, v) => (v == null ? '—' : `${v}/min`) }],
      range: (u, min, max) => [0, Math.max(10, Math.ceil(((max ?? 0) * 1.15) / 10) * 10)],
    },
    latency: {
      fields: ['p95'],
      map: (p) => ({ p95: p.p95 }),
      series: [{ label: 'p95', stroke: '#ffa657', width: 2, value: (u, v) => (v == null ? '—' : `${v.toFixed(2)} ms`) }],
      range: (u, min, max) => [0, Math.max(1, (max ?? 1) * 1.2)],
    },
  };
}

/**
 * @param {Element} panel  the `[data-panel=charts]` section
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
  let redrawTimer = null;
  let lastDraw = -Infinity;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function draw() {
    redrawTimer = null;
    lastDraw = now();
    for (const [name, plot] of Object.entries(plots)) plot.setData(buffers[name].data());
  }

  function scheduleDraw() {
    if (redrawTimer !== null || Object.keys(plots).length === 0) return;
    redrawTimer = timers.setTimeout(draw, Math.max(0, minRedrawMs - (now() - lastDraw)));
  }

  function build(uPlot) {
    for (const [name, spec] of Object.entries(specs)) {
      const host = panel.querySelector(`[data-chart="${name}"] .chart-canvas`);
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
      }, buffers[name].data(), host);
    }
    if (typeof globalThis.ResizeObserver === 'function') {
      const observer = new globalThis.ResizeObserver(() => {
        for (const [name, plot] of Object.entries(plots)) {
          const host = panel.querySelector(`[data-chart="${name}"] .chart-canvas`);
          const width = Math.max(240, host.clientWidth);
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

    /** `{t (epoch s), accuracy, estimated, ppm, p95}`; accuracies as fractions. */
    push(point) {
      for (const [name, spec] of Object.entries(specs)) buffers[name].push(point.t, spec.map(point));
      scheduleDraw();
    },

    reset() {
      for (const buffer of Object.values(buffers)) buffer.clear();
      scheduleDraw();
    },

    setConfig(next) {
      specs = chartSpecs(next);
    },

    get points() {
      return buffers.accuracy.length;
    },
  };
}

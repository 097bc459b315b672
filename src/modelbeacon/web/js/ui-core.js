/**
 * Small view primitives shared by the dashboard: number formatting, trend arrows, level classes
 * and the Metric component (value, trend arrow, pulse on update, health colour, smooth numeric
 * transitions).
 *
 * Everything above the Metric class is pure and DOM-free; the Metric class only touches the
 * element handed to it. Nothing here reads `document` or `window` at import time, so node's
 * test runner can import the module.
 */

import { CLIENT } from './config.js';

const NO_VALUE = '—';
const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/** A fraction in [0, 1] as a percentage: 0.942 → "94.2%". */
export function formatPercent(fraction, digits = 1) {
  return isNumber(fraction) ? `${(fraction * 100).toFixed(digits)}%` : NO_VALUE;
}

/** A `{low, high}` interval of fractions as percentages: "[76.7%–90.7%]". */
export function formatInterval(interval, digits = 1) {
  if (!interval || !isNumber(interval.low) || !isNumber(interval.high)) return NO_VALUE;
  return `[${formatPercent(interval.low, digits)}–${formatPercent(interval.high, digits)}]`;
}

/** A difference of fractions in percentage points, signed: 0.096 → "+9.6 pts", -0.031 → "−3.1 pts". */
export function formatPoints(difference, digits = 1) {
  if (!isNumber(difference)) return NO_VALUE;
  const text = Math.abs(difference * 100).toFixed(digits);
  if (Number(text) === 0) return `${text} pts`;
  return `${difference > 0 ? '+' : '−'}${text} pts`;
}

/** Seconds at a readable scale: "0.4 s", "8.1 s", "12.5 min", "3.2 h", "2.1 d". */
export function formatSeconds(seconds) {
  if (!isNumber(seconds)) return NO_VALUE;
  const abs = Math.abs(seconds);
  if (abs < 60) return `${seconds.toFixed(1)} s`;
  if (abs < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (abs < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** A value already in percent (0-100, e.g. `cpu_percent`): 42.13 → "42.1%". */
export function formatPercentValue(percent, digits = 1) {
  return isNumber(percent) ? `${percent.toFixed(digits)}%` : NO_VALUE;
}

/** An integer count with thousands separators: 1247 → "1,247". */
export function formatCount(count) {
  return isNumber(count) ? COUNT_FORMAT.format(Math.round(count)) : NO_VALUE;
}

/** A per-minute rate: 23 → "23/min", 1234 → "1,234/min", 2.5 → "2.5/min". */
export function formatPerMinute(rate) {
  if (!isNumber(rate)) return NO_VALUE;
  const text = Number.isInteger(rate) ? COUNT_FORMAT.format(rate) : rate.toFixed(1);
  return `${text}/min`;
}

/** Milliseconds with precision that suits the size: "0.90 ms", "12.3 ms", "250 ms", "1.25 s". */
export function formatMs(ms) {
  if (!isNumber(ms)) return NO_VALUE;
  const abs = Math.abs(ms);
  if (abs >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (abs >= 100) return `${ms.toFixed(0)} ms`;
  if (abs >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units: 512 → "512 B", 1536 → "1.5 KiB", 1048576 → "1.0 MiB". */
export function formatBytes(bytes) {
  if (!isNumber(bytes) || bytes < 0) return NO_VALUE;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Whole-second durations like the server's `model_uptime`: "45s", "12m", "2h 15m", "3d 4h". */
export function formatDuration(seconds) {
  if (!isNumber(seconds) || seconds < 0) return NO_VALUE;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}

/** How long ago `thenMs` was at `nowMs`: "just now", "42s ago", "5m ago", "2h ago", "3d ago". */
export function formatRelativeTime(thenMs, nowMs) {
  if (!isNumber(thenMs) || !isNumber(nowMs)) return NO_VALUE;
  const seconds = Math.floor((nowMs - thenMs) / 1000);
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

/** Parse an ISO-8601 timestamp to epoch milliseconds; null when absent or malformed. */
export function parseTimestamp(iso) {
  if (typeof iso !== 'string' || iso === '') return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

const TREND_ARROWS = Object.freeze({ up: '↑', down: '↓', flat: '→' });

/** The server's trend word as an arrow; anything else (missing, unknown) shows nothing. */
export function trendArrow(trend) {
  return Object.hasOwn(TREND_ARROWS, trend) ? TREND_ARROWS[trend] : '';
}

/**
 * Whether a trend is good news: 'positive', 'negative' or 'neutral'.
 * `higherIsBetter` is true for accuracies, false for latency and error rate, null for neutral
 * quantities such as the prediction rate.
 */
export function trendSentiment(trend, higherIsBetter) {
  if ((trend !== 'up' && trend !== 'down') || higherIsBetter == null) return 'neutral';
  return (trend === 'up') === Boolean(higherIsBetter) ? 'positive' : 'negative';
}

export const LEVELS = Object.freeze(['good', 'warn', 'bad', 'unknown']);

/** CSS class for a level from config.js ('good' | 'warn' | 'bad' | 'unknown'). */
export function levelClass(level) {
  return `level-${LEVELS.includes(level) ? level : 'unknown'}`;
}

/** Ease-out cubic interpolation from `from` to `to`; `progress` is clamped to [0, 1]. */
export function tween(from, to, progress) {
  const p = Math.min(1, Math.max(0, progress));
  const eased = 1 - (1 - p) ** 3;
  return from + (to - from) * eased;
}

/**
 * A function that flashes `element` with the `pulse` CSS class for `ms`. Called again while a
 * flash runs, it lets that one run on: restarting it would mean removing the class and forcing
 * a synchronous layout before adding it back, once per update, which costs seconds when demo
 * mode replays fifteen minutes of updates at once.
 */
export function pulser(element, ms = CLIENT.pulse_ms) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    element.classList.add('pulse');
    timer = setTimeout(() => {
      element.classList.remove('pulse');
      timer = null;
    }, ms);
  };
}

/**
 * One metric tile. Expects `root` to contain `[data-role=value]` (the element carrying the
 * data-testid and `data-value`) and optionally `[data-role=trend]` and `[data-role=sub]`.
 *
 * `update(value)` writes the raw number into `data-value` at once (tests compare it exactly
 * with REST numbers) and animates only the formatted text, with requestAnimationFrame.
 */
export class Metric {
  constructor(root, options = {}) {
    this.root = root;
    this.valueEl = root.querySelector('[data-role=value]');
    this.trendEl = root.querySelector('[data-role=trend]');
    this.subEl = root.querySelector('[data-role=sub]');
    this.format = options.format ?? String;
    this.higherIsBetter = options.higherIsBetter ?? null;
    // Counts tween through whole numbers so "23/min" never shows as "23.4/min" mid-transition.
    this.integer = options.integer ?? false;
    this.transitionMs = options.transitionMs ?? CLIENT.transition_ms;
    this.pulseMs = options.pulseMs ?? CLIENT.pulse_ms;
    this.raf = options.requestAnimationFrame ?? globalThis.requestAnimationFrame?.bind(globalThis);
    this.caf = options.cancelAnimationFrame ?? globalThis.cancelAnimationFrame?.bind(globalThis);
    this.now = options.now ?? (() => globalThis.performance.now());
    this.reducedMotion = Boolean(
      globalThis.matchMedia?.('(prefers-reduced-motion: reduce)')?.matches,
    );
    this.value = undefined;
    this.shown = null;
    this.frame = null;
    this.pulse = pulser(root, this.pulseMs);
    this.level = 'unknown';
  }

  /** Show `value`; `trend` is the server's word, `level` a config.js level, `sub` a caption. */
  update(value, { trend, level, sub } = {}) {
    const changed = value !== this.value;
    this.value = value;
    this.valueEl.dataset.value = isNumber(value) || typeof value === 'string' ? String(value) : '';
    if (level !== undefined) this.setLevel(level);
    if (trend !== undefined && this.trendEl) {
      this.trendEl.textContent = trendArrow(trend);
      this.trendEl.dataset.trend = trend ?? '';
      this.trendEl.dataset.sentiment = trendSentiment(trend, this.higherIsBetter);
    }
    if (sub !== undefined && this.subEl) this.subEl.textContent = sub;
    this.root.classList.remove('is-stale');
    if (changed) {
      this.render(value);
      this.pulse();
    }
  }

  setLevel(level) {
    this.root.classList.remove(levelClass(this.level));
    this.level = LEVELS.includes(level) ? level : 'unknown';
    this.root.classList.add(levelClass(this.level));
    this.valueEl.dataset.level = this.level;
  }

  setStale(stale) {
    this.root.classList.toggle('is-stale', stale);
  }

  render(target) {
    if (this.frame !== null) {
      this.caf?.(this.frame);
      this.frame = null;
    }
    const from = this.shown;
    const animate =
      isNumber(from) && isNumber(target) && from !== target && this.raf && this.transitionMs > 0
      && !this.reducedMotion;
    if (!animate) {
      this.shown = isNumber(target) ? target : null;
      this.valueEl.textContent = this.format(target);
      return;
    }
    const start = this.now();
    const step = () => {
      const progress = (this.now() - start) / this.transitionMs;
      if (progress >= 1) {
        this.frame = null;
        this.shown = target;
        this.valueEl.textContent = this.format(target);
        return;
      }
      this.shown = tween(from, target, progress);
      this.valueEl.textContent = this.format(this.integer ? Math.round(this.shown) : this.shown);
      this.frame = this.raf(step);
    };
    this.frame = this.raf(step);
  }
}

/**
 * Render cost bookkeeping: how long each update took to render (performance.now() around the
 * handler). DOM-free; the dashboard shows the numbers, nothing is sent to the server.
 */

import { CLIENT } from './config.js';

export class RenderStats {
  constructor(maxSamples = CLIENT.render_stats_samples) {
    this.maxSamples = maxSamples;
    this.samples = [];
    this.next = 0;
    this.count = 0;
    this.last = null;
  }

  record(ms) {
    this.count += 1;
    this.last = ms;
    if (this.samples.length < this.maxSamples) {
      this.samples.push(ms);
    } else {
      this.samples[this.next] = ms;
      this.next = (this.next + 1) % this.maxSamples;
    }
  }

  /** Median of the most recent `maxSamples` samples; null before the first one. */
  median() {
    if (this.samples.length === 0) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  reset() {
    this.samples = [];
    this.next = 0;
    this.count = 0;
    this.last = null;
  }

  snapshot() {
    return { count: this.count, median: this.median(), last: this.last };
  }
}

/**
 * Wrap every handler of a message table so its run time is recorded in `stats`; `onRecord`
 * runs after the measurement (so showing the stats is not counted as rendering).
 */
export function instrumentHandlers(handlers, stats, { now, onRecord = () => {} } = {}) {
  const clock = now ?? (() => globalThis.performance.now());
  const timed = {};
  for (const [type, handler] of Object.entries(handlers)) {
    timed[type] = (message) => {
      const start = clock();
      try {
        return handler(message);
      } finally {
        stats.record(clock() - start);
        onRecord(stats, type);
      }
    };
  }
  return timed;
}

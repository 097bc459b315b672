import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  Metric,
  formatBytes,
  formatCount,
  formatDuration,
  formatInterval,
  formatMs,
  formatPercent,
  formatPercentValue,
  formatPerMinute,
  formatPoints,
  formatRelativeTime,
  formatSeconds,
  levelClass,
  parseTimestamp,
  pulser,
  trendArrow,
  trendSentiment,
  tween,
} from '../../src/modelbeacon/web/js/ui-core.js';
import { fakeMetricElement } from './helpers/fakes.js';

test('ui-core trend arrow maps the server trend words', () => {
  assert.equal(trendArrow('up'), '↑');
  assert.equal(trendArrow('down'), '↓');
  assert.equal(trendArrow('flat'), '→');
});

test('ui-core trend arrow of anything else is empty', () => {
  for (const value of [undefined, null, '', 'sideways', 'UP', 'toString', '__proto__', 1]) {
    assert.equal(trendArrow(value), '', String(value));
  }
});

test('ui-core trend sentiment depends on which direction is good', () => {
  assert.equal(trendSentiment('up', true), 'positive');
  assert.equal(trendSentiment('down', true), 'negative');
  assert.equal(trendSentiment('up', false), 'negative');
  assert.equal(trendSentiment('down', false), 'positive');
  assert.equal(trendSentiment('flat', true), 'neutral');
  assert.equal(trendSentiment('up', null), 'neutral');
});

test('ui-core level class names the four levels and defaults to unknown', () => {
  assert.equal(levelClass('good'), 'level-good');
  assert.equal(levelClass('warn'), 'level-warn');
  assert.equal(levelClass('bad'), 'level-bad');
  assert.equal(levelClass('unknown'), 'level-unknown');
  assert.equal(levelClass('purple'), 'level-unknown');
});

test('ui-core formats fractions as percentages', () => {
  assert.equal(formatPercent(0.942), '94.2%');
  assert.equal(formatPercent(1), '100.0%');
  assert.equal(formatPercent(0), '0.0%');
  assert.equal(formatPercent(0.0123, 2), '1.23%');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatPercent(Number.NaN), '—');
  assert.equal(formatPercentValue(42.13), '42.1%');
  assert.equal(formatPercentValue(undefined), '—');
});

test('ui-core formats per-minute rates', () => {
  assert.equal(formatPerMinute(23), '23/min');
  assert.equal(formatPerMinute(0), '0/min');
  assert.equal(formatPerMinute(1234), '1,234/min');
  assert.equal(formatPerMinute(2.5), '2.5/min');
  assert.equal(formatPerMinute(null), '—');
});

test('ui-core formats milliseconds by magnitude', () => {
  assert.equal(formatMs(0.9), '0.90 ms');
  assert.equal(formatMs(0), '0.00 ms');
  assert.equal(formatMs(12.34), '12.3 ms');
  assert.equal(formatMs(250), '250 ms');
  assert.equal(formatMs(1250), '1.25 s');
  assert.equal(formatMs(null), '—');
});

test('ui-core formats bytes in binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(1048576), '1.0 MiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(formatBytes(-1), '—');
  assert.equal(formatBytes(null), '—');
});

test('ui-core formats counts, durations and relative times', () => {
  assert.equal(formatCount(1247), '1,247');
  assert.equal(formatCount(null), '—');
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(720), '12m');
  assert.equal(formatDuration(3600), '1h');
  assert.equal(formatDuration(8100), '2h 15m');
  assert.equal(formatDuration(90000), '1d 1h');
  const now = Date.UTC(2026, 0, 1, 12);
  assert.equal(formatRelativeTime(now - 3_000, now), 'just now');
  assert.equal(formatRelativeTime(now + 5_000, now), 'just now');
  assert.equal(formatRelativeTime(now - 42_000, now), '42s ago');
  assert.equal(formatRelativeTime(now - 5 * 60_000, now), '5m ago');
  assert.equal(formatRelativeTime(now - 2 * 3_600_000 - 60_000, now), '2h ago');
  assert.equal(formatRelativeTime(now - 3 * 86_400_000, now), '3d ago');
  assert.equal(formatRelativeTime(null, now), '—');
});

test('ui-core parses ISO timestamps and rejects junk', () => {
  assert.equal(parseTimestamp('2026-11-24T06:38:04.123456Z'), Date.UTC(2026, 10, 24, 6, 38, 4, 123));
  assert.equal(parseTimestamp('yesterday'), null);
  assert.equal(parseTimestamp(null), null);
});

test('ui-core tween eases from start to end and clamps', () => {
  assert.equal(tween(10, 20, 0), 10);
  assert.equal(tween(10, 20, 1), 20);
  assert.equal(tween(10, 20, 2), 20);
  assert.equal(tween(10, 20, -1), 10);
  const mid = tween(0, 1, 0.5);
  assert.ok(mid > 0.5 && mid < 1, 'ease-out is past half way at half time');
});

function animatedMetric(options = {}) {
  const frames = [];
  let time = 0;
  const root = fakeMetricElement();
  const metric = new Metric(root, {
    format: formatPercent,
    higherIsBetter: true,
    requestAnimationFrame: (fn) => frames.push(fn),
    cancelAnimationFrame: () => {},
    now: () => time,
    transitionMs: 400,
    ...options,
  });
  const runFrames = (ms) => {
    time += ms;
    const due = frames.splice(0);
    for (const fn of due) fn();
  };
  return { root, metric, runFrames, frames };
}

test('ui-core Metric writes the raw value at once and animates only the text', () => {
  const { root, metric, runFrames } = animatedMetric();
  const value = root.children.value;
  metric.update(0.9, { trend: 'up', level: 'good' });
  assert.equal(value.dataset.value, '0.9');
  assert.equal(value.textContent, '90.0%', 'first value shows at once');
  metric.update(0.8, { trend: 'down', level: 'warn' });
  assert.equal(value.dataset.value, '0.8');
  assert.equal(value.textContent, '90.0%', 'text waits for the first frame');
  runFrames(200);
  const middle = Number.parseFloat(value.textContent);
  assert.ok(middle < 90 && middle > 80, `mid-transition ${value.textContent}`);
  runFrames(250);
  assert.equal(value.textContent, '80.0%');
  assert.equal(root.children.trend.textContent, '↓');
  assert.equal(root.children.trend.dataset.sentiment, 'negative');
  assert.ok(root.classList.contains('level-warn'));
  assert.ok(!root.classList.contains('level-good'));
});

test('ui-core Metric pulses on a changed value only', () => {
  const { root, metric } = animatedMetric();
  metric.update(0.9);
  assert.ok(root.classList.contains('pulse'));
  root.classList.remove('pulse');
  metric.update(0.9);
  assert.ok(!root.classList.contains('pulse'));
});

test('ui-core Metric shows a dash and an empty data-value for null', () => {
  const { root, metric } = animatedMetric();
  metric.update(0.5);
  metric.update(null, { level: 'unknown' });
  assert.equal(root.children.value.dataset.value, '');
  assert.equal(root.children.value.textContent, '—');
  assert.ok(root.classList.contains('level-unknown'));
});

test('ui-core Metric stale flag is cleared by the next update', () => {
  const { root, metric } = animatedMetric();
  metric.update(0.5);
  metric.setStale(true);
  assert.ok(root.classList.contains('is-stale'));
  metric.update(0.6);
  assert.ok(!root.classList.contains('is-stale'));
});

test('ui-core Metric tweens integer counts through whole numbers', () => {
  const { root, metric, runFrames } = animatedMetric({ format: formatPerMinute, integer: true });
  metric.update(10);
  metric.update(20);
  runFrames(100);
  assert.match(root.children.value.textContent, /^\d+\/min$/);
});

test('ui-core interval shows low and high as percentages in brackets', () => {
  assert.equal(formatInterval({ low: 0.767, high: 0.907 }), '[76.7%–90.7%]');
  assert.equal(formatInterval({ low: 0.5, high: 1 }, 0), '[50%–100%]');
  assert.equal(formatInterval(null), '—');
  assert.equal(formatInterval({ low: 0.5 }), '—');
});

test('ui-core points are signed percentage points', () => {
  assert.equal(formatPoints(0.096), '+9.6 pts');
  assert.equal(formatPoints(-0.031), '−3.1 pts');
  assert.equal(formatPoints(0.0001), '0.0 pts');
  assert.equal(formatPoints(null), '—');
});

test('ui-core seconds pick a readable unit', () => {
  assert.equal(formatSeconds(0.42), '0.4 s');
  assert.equal(formatSeconds(18.76), '18.8 s');
  assert.equal(formatSeconds(750), '12.5 min');
  assert.equal(formatSeconds(11_520), '3.2 h');
  assert.equal(formatSeconds(181_440), '2.1 d');
  assert.equal(formatSeconds(undefined), '—');
});

test('ui-core pulser lets a running pulse run on instead of restarting it', async () => {
  const element = fakeMetricElement();
  const pulse = pulser(element, 5);
  pulse();
  assert.ok(element.classList.contains('pulse'));
  element.classList.remove('pulse');
  pulse();
  assert.ok(!element.classList.contains('pulse'), 'no restart while one runs');
  await new Promise((resolve) => setTimeout(resolve, 10));
  pulse();
  assert.ok(element.classList.contains('pulse'), 'a new pulse once it ended');
});

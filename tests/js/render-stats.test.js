import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RenderStats, instrumentHandlers } from '../../src/modelbeacon/web/js/render-stats.js';

test('render-stats counts, keeps the last value and the median', () => {
  const stats = new RenderStats(100);
  assert.deepEqual(stats.snapshot(), { count: 0, median: null, last: null });
  for (const ms of [3, 1, 2]) stats.record(ms);
  assert.deepEqual(stats.snapshot(), { count: 3, median: 2, last: 2 });
  stats.record(10);
  assert.equal(stats.median(), 2.5);
});

test('render-stats median covers only the most recent samples', () => {
  const stats = new RenderStats(3);
  for (const ms of [100, 100, 100, 1, 1, 1]) stats.record(ms);
  assert.equal(stats.count, 6);
  assert.equal(stats.median(), 1);
});

test('render-stats times each handler and reports after the measurement', () => {
  let time = 0;
  const stats = new RenderStats();
  const order = [];
  const handlers = instrumentHandlers(
    {
      a: (m) => {
        order.push(`a:${m.n}`);
        time += 2.5;
      },
    },
    stats,
    { now: () => time, onRecord: (s, type) => order.push(`record:${type}:${s.last}`) },
  );
  handlers.a({ n: 1 });
  assert.deepEqual(order, ['a:1', 'record:a:2.5']);
  assert.equal(stats.count, 1);
});

test('render-stats records a handler that throws and rethrows', () => {
  const stats = new RenderStats();
  const handlers = instrumentHandlers({ bad: () => { throw new Error('x'); } }, stats, { now: () => 0 });
  assert.throws(() => handlers.bad({}), /x/);
  assert.equal(stats.count, 1);
});

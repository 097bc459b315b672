import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { backoffDelay, createWsClient, dispatchMessage } from '../../src/modelbeacon/web/js/ws-client.js';
import { FakeClock, FakeSocket, flush } from './helpers/fakes.js';

const POLICY = { baseMs: 500, capMs: 30_000 };

beforeEach(() => FakeSocket.reset());

function makeClient({ random = () => 0.5, handlers = {}, fallback = null, ...rest } = {}) {
  const clock = new FakeClock(1_000_000);
  const states = [];
  const errors = [];
  const client = createWsClient({
    url: 'ws://test/ws',
    handlers,
    createSocket: (url) => new FakeSocket(url),
    timers: clock.timers,
    now: clock.now,
    random,
    reconnect: POLICY,
    pingIntervalMs: 20_000,
    staleSocketMs: 45_000,
    fallback,
    onStateChange: (s) => states.push(s),
    onError: (error) => errors.push(error),
    ...rest,
  });
  return { client, clock, states, errors };
}

test('ws-client backoff is full jitter under an exponential ceiling capped at 30 s', () => {
  const ceilings = Array.from({ length: 10 }, (_, attempt) => backoffDelay(attempt, POLICY, () => 0.999999999));
  assert.deepEqual(ceilings, [499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999]);
  assert.equal(backoffDelay(5, POLICY, () => 0), 0);
  assert.equal(backoffDelay(3, POLICY, () => 0.5), 2000);
  assert.equal(backoffDelay(40, POLICY, () => 0.5), 15_000, 'no overflow for large attempts');
});

test('ws-client reconnects after each drop with the backoff sequence', () => {
  const { client, clock, states } = makeClient({ random: () => 0.5 });
  client.start();
  assert.equal(FakeSocket.created.length, 1);
  assert.equal(FakeSocket.last.url, 'ws://test/ws');
  const delays = [];
  for (let i = 0; i < 8; i += 1) {
    FakeSocket.last.drop();
    const { retryInMs } = states.at(-1);
    delays.push(retryInMs);
    const before = FakeSocket.created.length;
    clock.advance(retryInMs - 1);
    assert.equal(FakeSocket.created.length, before, 'not before the delay');
    clock.advance(1);
    assert.equal(FakeSocket.created.length, before + 1, 'right at the delay');
  }
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 15000, 15000]);
  assert.equal(client.state, 'reconnecting');
});

test('ws-client resets the backoff once the server has spoken', () => {
  const { client, clock, states } = makeClient({ random: () => 0.5 });
  client.start();
  FakeSocket.last.drop();
  clock.advance(states.at(-1).retryInMs);
  FakeSocket.last.drop();
  assert.equal(states.at(-1).retryInMs, 500);
  clock.advance(500);
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'snapshot', timestamp: 't' });
  FakeSocket.last.drop();
  assert.equal(states.at(-1).retryInMs, 250);
});

test('ws-client open without a message keeps the backoff growing', () => {
  const { client, clock, states } = makeClient({ random: () => 0.5 });
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.drop();
  assert.equal(states.at(-1).retryInMs, 250);
  clock.advance(250);
  FakeSocket.last.open();
  FakeSocket.last.drop();
  assert.equal(states.at(-1).retryInMs, 500);
});

test('ws-client reports connecting, open, disconnected, reconnecting in order', () => {
  const { client, clock, states } = makeClient();
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'snapshot' });
  FakeSocket.last.drop();
  clock.advance(states.at(-1).retryInMs);
  FakeSocket.last.open();
  assert.deepEqual(states.map((s) => s.state), ['connecting', 'open', 'disconnected', 'reconnecting', 'open']);
  assert.equal(states[2].attempt, 1);
});

test('ws-client dispatches messages through the handler table', () => {
  const seen = [];
  const { client } = makeClient({
    handlers: {
      system_metrics: (m) => seen.push(['system', m.cpu_percent]),
      model_deployed: (m) => seen.push(['deployed', m.model_id]),
    },
  });
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'system_metrics', timestamp: 't', cpu_percent: 12.5 });
  FakeSocket.last.receive({ type: 'model_deployed', timestamp: 't', model_id: '3' });
  assert.deepEqual(seen, [['system', 12.5], ['deployed', '3']]);
});

test('ws-client ignores unknown types, malformed frames and prototype names safely', () => {
  const seen = [];
  const { client, errors } = makeClient({ handlers: { pong: () => seen.push('pong') } });
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'brand_new_event', timestamp: 't' });
  FakeSocket.last.receive({ type: 'toString' });
  FakeSocket.last.receive({ type: '__proto__' });
  FakeSocket.last.receive({ no_type: true });
  FakeSocket.last.receive('not json {');
  FakeSocket.last.receive('null');
  FakeSocket.last.receive({ type: 'pong', timestamp: 't' });
  assert.deepEqual(seen, ['pong']);
  assert.deepEqual(errors, []);
  assert.equal(client.state, 'open');
});

test('ws-client survives a throwing handler and keeps dispatching', () => {
  const seen = [];
  const { client, errors } = makeClient({
    handlers: {
      system_metrics: () => {
        throw new Error('boom');
      },
      pong: () => seen.push('pong'),
    },
  });
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'system_metrics' });
  FakeSocket.last.receive({ type: 'pong' });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, 'boom');
  assert.deepEqual(seen, ['pong']);
});

test('ws-client dispatchMessage reports whether a handler ran', () => {
  const handlers = { a: () => {} };
  assert.equal(dispatchMessage(handlers, { type: 'a' }), true);
  assert.equal(dispatchMessage(handlers, { type: 'b' }), false);
  assert.equal(dispatchMessage(handlers, null), false);
  assert.equal(dispatchMessage(handlers, { type: 'hasOwnProperty' }), false);
});

test('ws-client polls the fallback on disconnect and stops on reconnect', async () => {
  const polled = [];
  let calls = 0;
  const { client, clock, states } = makeClient({
    random: () => 0.999,
    fallback: {
      intervalMs: 5000,
      poll: async () => ({ n: ++calls }),
      onData: (data) => polled.push(data.n),
    },
  });
  client.start();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: 'pong' });
  assert.equal(calls, 0, 'no polling while connected');

  FakeSocket.last.drop();
  await flush();
  assert.equal(calls, 1, 'polls at once on disconnect');
  assert.equal(states.at(-1).polling, true);
  // Keep the server down: every reconnect attempt fails.
  for (let t = 0; t < 15_000; t += 1000) {
    clock.advance(1000);
    if (FakeSocket.last.onclose && !FakeSocket.last.failed) {
      FakeSocket.last.failed = true;
      FakeSocket.last.drop();
    }
    await flush();
  }
  assert.equal(calls, 4, 'then every 5 s');
  assert.deepEqual(polled, [1, 2, 3, 4]);

  clock.advance(60_000);
  const socket = FakeSocket.last;
  socket.open();
  await flush();
  const after = calls;
  clock.advance(30_000);
  await flush();
  assert.equal(calls, after, 'no polling after reconnect');
  assert.equal(states.at(-1).state, 'open');
  assert.equal(states.at(-1).polling, false);
});

test('ws-client shows a slow poll answer that arrives while still disconnected', async () => {
  let release;
  const polled = [];
  const { client } = makeClient({
    fallback: {
      poll: () => new Promise((resolve) => { release = resolve; }),
      onData: (data) => polled.push(data),
    },
  });
  client.start();
  FakeSocket.last.drop();
  release({ slow: true });
  await flush();
  assert.deepEqual(polled, [{ slow: true }]);
});

test('ws-client never overlaps polls', async () => {
  let calls = 0;
  const { client, clock } = makeClient({
    random: () => 0.999,
    fallback: { intervalMs: 5000, poll: () => { calls += 1; return new Promise(() => {}); }, onData: () => {} },
  });
  client.start();
  FakeSocket.last.drop();
  clock.advance(20_000);
  await flush();
  assert.equal(calls, 1, 'a hung request is not stacked on');
});

test('ws-client ignores a poll that resolves after reconnecting', async () => {
  let release;
  const polled = [];
  const { client, clock, states } = makeClient({
    fallback: {
      poll: () => new Promise((resolve) => { release = resolve; }),
      onData: (data) => polled.push(data),
    },
  });
  client.start();
  FakeSocket.last.drop();
  clock.advance(states.at(-1).retryInMs);
  FakeSocket.last.open();
  release({ stale: true });
  await flush();
  assert.deepEqual(polled, []);
});

test('ws-client polls when the very first connection never opens', async () => {
  let calls = 0;
  const { client } = makeClient({ fallback: { poll: async () => ({ n: ++calls }), onData: () => {} } });
  client.start();
  FakeSocket.last.drop();
  await flush();
  assert.equal(calls, 1);
});

test('ws-client sends a ping every interval while open', () => {
  const { client, clock } = makeClient();
  client.start();
  const socket = FakeSocket.last;
  socket.open();
  clock.advance(19_999);
  assert.deepEqual(socket.sent, []);
  clock.advance(1);
  assert.deepEqual(socket.sent, [{ type: 'ping' }]);
  socket.receive({ type: 'pong' });
  clock.advance(20_000);
  assert.deepEqual(socket.sent, [{ type: 'ping' }, { type: 'ping' }]);
});

test('ws-client closes a silent socket and reconnects', () => {
  const { client, clock, states } = makeClient();
  client.start();
  const socket = FakeSocket.last;
  socket.open();
  clock.advance(40_000);
  assert.equal(socket.closed, false, 'two pings unanswered is not yet dead');
  clock.advance(20_000);
  assert.equal(socket.closed, true, 'silent for more than 45 s');
  assert.equal(states.at(-1).state, 'disconnected');
  clock.advance(states.at(-1).retryInMs);
  assert.notEqual(FakeSocket.last, socket);
});

test('ws-client stops pinging after a drop', () => {
  const { client, clock } = makeClient();
  client.start();
  const socket = FakeSocket.last;
  socket.open();
  socket.drop();
  clock.advance(100_000);
  assert.deepEqual(socket.sent, []);
});

test('ws-client send is refused while not open', () => {
  const { client } = makeClient();
  client.start();
  assert.equal(client.send({ type: 'ping' }), false);
  FakeSocket.last.open();
  assert.equal(client.send({ type: 'subscribe', events: ['system_metrics'] }), true);
  assert.deepEqual(FakeSocket.last.sent, [{ type: 'subscribe', events: ['system_metrics'] }]);
});

test('ws-client stop closes the socket and never reconnects', async () => {
  let calls = 0;
  const { client, clock, states } = makeClient({ fallback: { poll: async () => ({ n: ++calls }), onData: () => {} } });
  client.start();
  const socket = FakeSocket.last;
  socket.open();
  client.stop();
  assert.equal(socket.closed, true);
  socket.drop();
  clock.advance(120_000);
  await flush();
  assert.equal(FakeSocket.created.length, 1);
  assert.equal(calls, 0);
  assert.equal(states.at(-1).state, 'stopped');
  assert.equal(clock.pendingTimeouts(), 0);
});

test('ws-client treats a socket factory that throws as a drop', () => {
  let tries = 0;
  const { client, clock, states, errors } = makeClient({
    createSocket: (url) => {
      tries += 1;
      if (tries === 1) throw new SyntaxError('bad url');
      return new FakeSocket(url);
    },
  });
  client.start();
  assert.equal(errors.length, 1);
  assert.equal(states.at(-1).state, 'disconnected');
  clock.advance(states.at(-1).retryInMs);
  assert.equal(FakeSocket.created.length, 1);
});

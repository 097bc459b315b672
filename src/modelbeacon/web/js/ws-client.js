/**
 * WebSocket client for `/ws`: connect, dispatch messages through a handler table, keep the
 * connection alive with pings, reconnect with exponential backoff and full jitter, and poll a
 * REST fallback while the socket is down. Never touches the DOM: it reports its state through
 * `onStateChange` and leaves the showing to the view.
 *
 * The socket factory, timers, clock and random source are injectable, so node's test runner
 * drives every path (drops, retries, pings, polling) without a network or real time.
 */

import { CLIENT } from './config.js';

/**
 * Delay before reconnect attempt number `attempt` (0-based): "full jitter", a uniform draw in
 * [0, min(cap, base * 2^attempt)), so a restarted server is not hit by every page at once.
 */
export function backoffDelay(attempt, { baseMs, capMs }, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Call `handlers[message.type](message)`. Returns true when a handler ran. A message without
 * a known type is ignored (false); a handler that throws is reported to `onError` and does not
 * stop later messages.
 */
export function dispatchMessage(handlers, message, onError = () => {}) {
  if (!message || typeof message !== 'object' || typeof message.type !== 'string') return false;
  if (!Object.hasOwn(handlers, message.type)) return false;
  const handler = handlers[message.type];
  if (typeof handler !== 'function') return false;
  try {
    handler(message);
  } catch (error) {
    onError(error, message);
  }
  return true;
}

const defaultTimers = () => ({
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: globalThis.clearTimeout.bind(globalThis),
  setInterval: globalThis.setInterval.bind(globalThis),
  clearInterval: globalThis.clearInterval.bind(globalThis),
});

/**
 * @param {object} options
 * @param {string} options.url  e.g. `ws://127.0.0.1:8000/ws`
 * @param {Record<string, (message: object) => void>} options.handlers  keyed by message `type`
 * @param {(url: string) => WebSocket} [options.createSocket]
 * @param {{poll: () => Promise<object>, onData: (data: object) => void, intervalMs?: number}}
 *   [options.fallback]  REST polling while disconnected (`GET /api/monitoring/system`)
 * @param {(state: {state: string, attempt: number, retryInMs: number|null, polling: boolean})
 *   => void} [options.onStateChange]  states: connecting (first try), open, disconnected
 *   (waiting `retryInMs` before the next try), reconnecting (a retry in flight), stopped
 */
export function createWsClient({
  url,
  handlers,
  createSocket = (socketUrl) => new globalThis.WebSocket(socketUrl),
  timers = defaultTimers(),
  random = Math.random,
  now = () => Date.now(),
  reconnect = { baseMs: CLIENT.reconnect_base_ms, capMs: CLIENT.reconnect_cap_ms },
  pingIntervalMs = CLIENT.ping_interval_ms,
  staleSocketMs = CLIENT.stale_socket_ms,
  fallback = null,
  onStateChange = () => {},
  onError = (error) => globalThis.console?.error('modelbeacon ws handler failed', error),
}) {
  let socket = null;
  let state = 'idle';
  let attempt = 0;
  let retryInMs = null;
  let reconnectTimer = null;
  let pingTimer = null;
  let pollTimer = null;
  let pollInFlight = false;
  let lastMessageAt = 0;

  const polling = () => pollTimer !== null;

  function setState(next) {
    state = next;
    onStateChange({ state, attempt, retryInMs, polling: polling() });
  }

  function detach(sock) {
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
  }

  function connect() {
    reconnectTimer = null;
    retryInMs = null;
    // After a drop the page is still without live data until a socket opens: 'reconnecting'.
    setState(attempt > 0 ? 'reconnecting' : 'connecting');
    try {
      socket = createSocket(url);
    } catch (error) {
      socket = null;
      onError(error);
      handleClose();
      return;
    }
    const sock = socket;
    sock.onopen = () => {
      if (sock !== socket) return;
      lastMessageAt = now();
      stopPolling();
      startPing();
      setState('open');
    };
    sock.onmessage = (event) => {
      if (sock !== socket) return;
      lastMessageAt = now();
      // The backoff resets only once the server has spoken, so a server that accepts and
      // drops at once still gets slower and slower retries.
      attempt = 0;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      dispatchMessage(handlers, message, onError);
    };
    // Browsers always follow `error` with `close`; reconnecting happens there, once.
    sock.onerror = () => {};
    sock.onclose = () => {
      if (sock !== socket) return;
      handleClose();
    };
  }

  function handleClose() {
    if (socket) detach(socket);
    socket = null;
    stopPing();
    if (state === 'stopped') return;
    retryInMs = backoffDelay(attempt, reconnect, random);
    attempt += 1;
    reconnectTimer = timers.setTimeout(connect, retryInMs);
    state = 'disconnected'; // before polling starts: a poll is only made while not open
    startPolling();
    setState('disconnected');
  }

  function startPing() {
    stopPing();
    pingTimer = timers.setInterval(() => {
      if (!socket) return;
      if (now() - lastMessageAt > staleSocketMs) {
        // A half-open TCP connection can stay "open" for minutes; give up on it ourselves.
        const dead = socket;
        detach(dead);
        try {
          dead.close();
        } catch {
          // Already closing: nothing to do.
        }
        handleClose();
        return;
      }
      send({ type: 'ping' });
    }, pingIntervalMs);
  }

  function stopPing() {
    if (pingTimer !== null) timers.clearInterval(pingTimer);
    pingTimer = null;
  }

  async function pollOnce() {
    if (!fallback || pollInFlight || state === 'open' || state === 'stopped') return;
    pollInFlight = true;
    try {
      const data = await fallback.poll();
      // The socket may have come back while the request was in flight; it is fresher.
      if (state !== 'open' && state !== 'stopped') fallback.onData(data);
    } catch (error) {
      fallback.onError?.(error);
    } finally {
      pollInFlight = false;
    }
  }

  function startPolling() {
    if (!fallback || polling()) return;
    pollTimer = timers.setInterval(pollOnce, fallback.intervalMs ?? CLIENT.fallback_poll_ms);
    pollOnce();
  }

  function stopPolling() {
    if (pollTimer !== null) timers.clearInterval(pollTimer);
    pollTimer = null;
  }

  function send(message) {
    if (!socket || state !== 'open') return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  return {
    start() {
      if (state !== 'idle' && state !== 'stopped') return;
      attempt = 0;
      connect();
    },
    stop() {
      state = 'stopped';
      if (reconnectTimer !== null) timers.clearTimeout(reconnectTimer);
      reconnectTimer = null;
      stopPing();
      stopPolling();
      if (socket) {
        const sock = socket;
        socket = null;
        detach(sock);
        sock.close();
      }
      setState('stopped');
    },
    send,
    get state() {
      return state;
    },
    get attempt() {
      return attempt;
    },
  };
}

/**
 * Connection indicator, disconnect notice and the diagnostics footer. View module: shows what
 * ws-client.js reports (`onStateChange`) and what the render-cost stats say.
 */

import { CLIENT } from './config.js';
import { formatCount, formatMs } from './ui-core.js';

const CONNECTION_TEXT = Object.freeze({
  idle: 'Connecting…', connecting: 'Connecting…', open: 'Live', disconnected: 'Offline',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped', demo: 'Demo · simulated data',
});

/** Live data is lost from the first drop until a socket opens again. */
const isDown = (state) => state === 'disconnected' || state === 'reconnecting';

export function createConnectionView(doc) {
  const $ = (testid) => doc.querySelector(`[data-testid="${testid}"]`);
  const el = {
    indicator: $('connection-indicator'), notice: $('connection-notice'), mode: $('mode'),
    renderStats: $('render-stats'), serverMessage: $('server-message'),
  };
  let connection = { state: 'connecting' };
  let lastPoll = null;

  function renderNotice() {
    const { state, attempt, retryInMs } = connection;
    const down = isDown(state);
    el.notice.hidden = !down;
    if (!down) {
      el.notice.textContent = '';
      return;
    }
    const retry = state === 'reconnecting' ? ` Reconnecting (attempt ${attempt})…`
      : retryInMs != null ? ` Reconnecting in ${formatMs(retryInMs)} (attempt ${attempt}).` : '';
    const polled = lastPoll ? ` Last polled ${new Date(lastPoll).toLocaleTimeString('en-GB')}.` : '';
    el.notice.textContent = 'Live connection lost: showing the last values (greyed) and polling '
      + `/api/monitoring/system every ${CLIENT.fallback_poll_ms / 1000} s.${retry}${polled}`;
  }

  return {
    /** @returns {boolean} whether the page is now disconnected */
    setState(next) {
      connection = next;
      el.indicator.dataset.state = next.state;
      el.indicator.textContent = CONNECTION_TEXT[next.state] ?? next.state;
      el.mode.dataset.value = next.state === 'demo' ? 'demo' : 'live';
      el.mode.textContent = next.state === 'demo' ? 'demo mode (no backend)' : 'live';
      if (next.state === 'open') lastPoll = null;
      renderNotice();
      return isDown(next.state);
    },

    markPolled(timeMs) {
      lastPoll = timeMs;
      renderNotice();
    },

    renderStats({ count, median, last }) {
      el.renderStats.dataset.count = String(count);
      el.renderStats.dataset.median = median == null ? '' : String(median);
      el.renderStats.dataset.last = last == null ? '' : String(last);
      el.renderStats.textContent = `${formatCount(count)} updates · median ${formatMs(median)} · last ${formatMs(last)}`;
    },

    serverMessage(text) {
      el.serverMessage.textContent = text;
    },
  };
}

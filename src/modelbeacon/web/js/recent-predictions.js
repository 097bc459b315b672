/**
 * The Recent predictions table, fed by the `predictions` of `prediction_logged` (up to 20 of
 * `{prediction_id, prediction, latency_ms, timestamp}`, newest last): newest first, each id
 * once, at most CLIENT.recent_predictions_rows rows.
 *
 * RecentPredictions is pure; createRecentPredictionsPanel touches only the panel's elements,
 * at most once per animation frame: messages can come every 0.1 s, and demo mode replays
 * fifteen minutes of them at once, where a table rebuilt per message would make every later
 * layout of the page redo it.
 */

import { CLIENT } from './config.js';
import { formatMs, parseTimestamp } from './ui-core.js';

/** The newest `limit` predictions seen, newest first. */
export class RecentPredictions {
  constructor(limit = CLIENT.recent_predictions_rows) {
    this.limit = limit;
    this.items = [];
  }

  /** Take a message's `predictions`; returns the list, newest first. */
  add(predictions) {
    const incoming = (Array.isArray(predictions) ? predictions : [])
      .filter((p) => p && p.prediction_id != null)
      .map((p) => ({ ...p, time: parseTimestamp(p.timestamp) ?? -Infinity }))
      .reverse();
    // A stable sort by time: of two predictions with the same timestamp the later-sent stays first.
    const merged = [...incoming, ...this.items].sort((a, b) => b.time - a.time);
    const seen = new Set();
    this.items = merged.filter((p) => {
      const id = String(p.prediction_id);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    }).slice(0, this.limit);
    return this.items;
  }

  clear() {
    this.items = [];
  }
}

const TIME_FORMAT = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function createRecentPredictionsPanel(panel) {
  const doc = panel.ownerDocument;
  const $ = (testid) => panel.querySelector(`[data-testid="${testid}"]`);
  const table = $('recent-predictions');
  const tbody = table.querySelector('tbody');
  const empty = $('recent-empty');
  const recent = new RecentPredictions();
  const rows = new Map();
  let framePending = false;

  function makeRow(p) {
    const tr = doc.createElement('tr');
    tr.dataset.predictionId = String(p.prediction_id);
    tr.innerHTML = `<td data-col="time"></td><td class="id" data-col="id"></td>
      <td data-col="prediction"></td><td class="num" data-col="latency"></td>`;
    const time = tr.querySelector('[data-col="time"]');
    time.textContent = Number.isFinite(p.time) ? TIME_FORMAT.format(p.time) : '—';
    time.dataset.value = p.timestamp ?? '';
    const id = tr.querySelector('[data-col="id"]');
    id.textContent = String(p.prediction_id);
    id.title = String(p.prediction_id);
    const prediction = tr.querySelector('[data-col="prediction"]');
    prediction.textContent = p.prediction == null ? '—' : String(p.prediction);
    prediction.dataset.value = p.prediction == null ? '' : String(p.prediction);
    const latency = tr.querySelector('[data-col="latency"]');
    latency.textContent = formatMs(p.latency_ms);
    latency.dataset.value = p.latency_ms ?? '';
    tr.classList.add('fresh');
    return tr;
  }

  function render(items) {
    const keep = new Set(items.map((p) => String(p.prediction_id)));
    for (const [id, tr] of rows) {
      if (!keep.has(id)) {
        tr.remove();
        rows.delete(id);
      }
    }
    items.forEach((p, index) => {
      const id = String(p.prediction_id);
      let tr = rows.get(id);
      if (!tr) {
        tr = makeRow(p);
        rows.set(id, tr);
      } else {
        tr.classList.remove('fresh');
      }
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] ?? null);
    });
    table.hidden = items.length === 0;
    empty.hidden = items.length > 0;
  }

  function scheduleRender() {
    if (framePending) return;
    framePending = true;
    globalThis.requestAnimationFrame(() => {
      framePending = false;
      render(recent.items);
    });
  }

  return {
    /** The `predictions` of a `prediction_logged` message of the shown model. */
    add(predictions) {
      recent.add(predictions);
      scheduleRender();
      panel.classList.remove('is-disconnected');
    },

    /** Another model is shown: its predictions start a new list. */
    clear() {
      recent.clear();
      scheduleRender();
    },

    setDisconnected(disconnected) {
      panel.classList.toggle('is-disconnected', disconnected);
    },
  };
}

/**
 * The Current Model Status panel: name and version, last trained (relative, ticking), the live
 * prediction count, uptime, and the status badge with its health. A model served elsewhere
 * (registered, monitored here) says so: "served elsewhere" where a served model shows its uptime,
 * and when it was registered where a trained one shows when it was trained. View module:
 * touches only the panel's elements.
 */

import { healthWordLevel, statusLevel } from './config.js';
import { isServedElsewhere } from './model-choice.js';
import { formatCount, formatDuration, formatRelativeTime, levelClass, parseTimestamp, pulser } from './ui-core.js';

export function createModelStatusPanel(panel, { now }) {
  const $ = (testid) => panel.querySelector(`[data-testid="${testid}"]`);
  const el = {
    name: $('model-name'), version: $('model-version'), lastTrained: $('last-trained'),
    total: $('predictions-total'), uptime: $('model-uptime'), status: $('model-status'),
    health: $('model-health'), reason: $('health-reason'), served: $('model-served'),
    trainedLabel: panel.querySelector('[data-role="trained-label"]'),
  };
  let lastTotal = null;
  let elsewhere = false;
  let uptimeSeconds = null;
  const pulseTotal = pulser(el.total);

  function renderUptime() {
    // A model served elsewhere has no uptime here: its serving process is not ours to time.
    el.uptime.dataset.value = elsewhere ? '' : uptimeSeconds ?? '';
    el.uptime.dataset.served = elsewhere ? 'elsewhere' : 'here';
    el.uptime.textContent = elsewhere ? 'served elsewhere' : formatDuration(uptimeSeconds);
  }

  function setElsewhere(flag) {
    elsewhere = flag;
    el.served.hidden = !flag;
    el.served.dataset.value = flag ? 'elsewhere' : 'here';
    el.trainedLabel.textContent = flag ? 'Registered' : 'Last trained';
    renderUptime();
  }

  function renderLastTrained() {
    const iso = el.lastTrained.dataset.value;
    el.lastTrained.textContent = iso ? formatRelativeTime(parseTimestamp(iso), now()) : '—';
  }

  const view = {
    /** Show `model` (a model object) or, when null, "No model deployed" / the bare id. */
    showModel(model, modelId = null) {
      setElsewhere(isServedElsewhere(model));
      if (!model) {
        el.name.textContent = modelId !== null ? `model ${modelId}` : 'No model deployed';
        el.version.textContent = '';
        el.version.dataset.value = '';
        if (modelId === null) {
          el.lastTrained.dataset.value = '';
          view.setStatus('inactive', 'unknown');
        }
        renderLastTrained();
        return;
      }
      el.name.textContent = model.name;
      el.version.textContent = `v${model.version}`;
      el.version.dataset.value = String(model.version);
      el.lastTrained.dataset.value = elsewhere
        ? model.created_at ?? ''
        : model.last_trained_at ?? model.deployed_at ?? '';
      el.lastTrained.dateTime = el.lastTrained.dataset.value;
      renderLastTrained();
      view.setStatus(model.status, model.health);
    },

    setStatus(status, health) {
      const shown = status ?? 'inactive';
      el.status.dataset.value = shown;
      el.status.textContent = shown;
      el.status.className = `badge ${levelClass(statusLevel(shown))}`;
      if (health !== undefined) {
        const word = health ?? 'unknown';
        el.health.dataset.value = word;
        el.health.textContent = `health ${word}`;
        el.health.className = `health ${levelClass(healthWordLevel(word))}`;
      }
    },

    /** The evidence for the health in words (`health_reason`, or a status change's `reason`). */
    setReason(reason) {
      if (typeof reason !== 'string' || reason === '') return;
      el.reason.dataset.value = reason;
      el.reason.textContent = reason;
    },

    /** The shown model's `total_predictions`; it only grows, so an older number is ignored. */
    setTotal(total, { pulse = true } = {}) {
      if (typeof total !== 'number') return;
      // A metrics update computed a moment before the latest prediction_logged must not move
      // the count backwards.
      if (lastTotal !== null && total < lastTotal) return;
      const changed = total !== lastTotal;
      lastTotal = total;
      el.total.dataset.value = String(total);
      el.total.textContent = formatCount(total);
      if (changed && pulse) pulseTotal();
    },

    /** Another model is shown: its count starts from its own total. */
    resetTotal() {
      lastTotal = null;
      el.reason.dataset.value = '';
      el.reason.textContent = '—';
      el.total.dataset.value = '';
      el.total.textContent = '—';
      view.setUptime(null);
    },

    setUptime(seconds) {
      uptimeSeconds = seconds ?? null;
      renderUptime();
    },

    setDisconnected(disconnected) {
      panel.classList.toggle('is-disconnected', disconnected);
    },

    tick: renderLastTrained,
  };
  return view;
}

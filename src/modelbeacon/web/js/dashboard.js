/**
 * The Live System Status page: it keeps what the server said about models (a small store) and
 * exposes the message handlers that update the panels: Current Model Status, Live Training
 * Progress, the Real-Time Metrics Grid, the charts, Drift, Confusion, Recent predictions and
 * the Models panel. The panels show one model, the active one. The same handlers
 * serve the real socket and demo mode. View module: it only touches the DOM under `doc` (via
 * the panel modules) and the charts it is handed.
 *
 * Handlers take the messages of docs/PAYLOADS.md as they are; nothing shown is derived from
 * other numbers in the browser (predictions/min is the server's `predictions_per_minute`).
 */

import { MODEL_METRICS } from './config.js';
import { createConfusionPanel } from './confusion-panel.js';
import { createConnectionView } from './connection-view.js';
import { createDriftPanel } from './drift-panel.js';
import { createMetricsGrid } from './metrics-grid.js';
import { createModelStatusPanel } from './model-status-panel.js';
import { createModelsPanel } from './models-panel.js';
import { createRecentPredictionsPanel } from './recent-predictions.js';
import { createTrainingPanel } from './training-panel.js';
import { parseTimestamp } from './ui-core.js';

/**
 * @param {Document} doc
 * @param {object} options
 * @param {{load: Function, push: Function, reset: Function}} [options.charts]  see charts.js
 * @param {() => number} [options.now]  epoch ms for "last trained … ago"
 * @param {(modelId: string) => void} [options.onUnknownModel]  a message named a model not
 *   known yet (trained by another client): fetch it and call `upsertModel`.
 * @param {(modelId: string|null) => void} [options.onShownModel]  the panels now show another
 *   model (or none): fetch its metrics history and call `applyMetricsHistory`.
 * @param {{onTrain, onDeploy, onUpload}} options.intents  see models-panel.js
 */
export function createDashboard(doc, {
  charts = null, now = () => Date.now(), onUnknownModel = () => {}, onShownModel = () => {}, intents,
}) {
  let config = MODEL_METRICS;
  const models = new Map();
  let activeId = null;
  let wasDown = false;

  const getModel = (id) => models.get(String(id)) ?? null;
  const grid = createMetricsGrid(doc.querySelector('[data-testid="metrics-grid"]'), { getConfig: () => config });
  const status = createModelStatusPanel(doc.querySelector('[data-panel="model-status"]'), { now });
  const training = createTrainingPanel(doc.querySelector('[data-panel="training"]'), { getModel });
  const modelsPanel = createModelsPanel(doc.querySelector('[data-panel="models"]'), intents);
  const drift = createDriftPanel(doc.querySelector('[data-panel="drift"]'));
  const confusion = createConfusionPanel(doc.querySelector('[data-panel="confusion"]'));
  const recent = createRecentPredictionsPanel(doc.querySelector('[data-panel="recent-predictions"]'));
  const connection = createConnectionView(doc);
  const announcer = doc.querySelector('[data-testid="status-announcer"]');

  const label = (model) => (model ? `${model.name} v${model.version}` : 'the model');
  const renderModels = () => modelsPanel.render(models.values(), activeId);

  /** The model named by a message; asks for it once when it is not known yet. */
  function known(id) {
    const model = getModel(id);
    if (!model) onUnknownModel(String(id));
    return model;
  }

  function upsert(model) {
    const id = String(model.id);
    const merged = { ...models.get(id), ...model, id };
    models.set(id, merged);
    return merged;
  }

  /** Show `modelId`'s numbers from now on; `force` starts over even when it is already shown. */
  function setActive(modelId, { force = false } = {}) {
    const id = modelId == null ? null : String(modelId);
    if (id === activeId && !force) return;
    activeId = id;
    status.resetTotal();
    grid.clearModelMetrics();
    drift.render(null);
    confusion.render(null);
    recent.clear();
    charts?.reset();
    const model = getModel(id);
    if (model) status.setTotal(model.total_predictions, { pulse: false });
    onShownModel(id);
  }

  function renderActive() {
    status.showModel(getModel(activeId), activeId);
  }

  function countPredictions(msg) {
    const model = known(msg.model_id);
    if (!model || typeof msg.total_predictions !== 'number') return;
    model.total_predictions = Math.max(model.total_predictions ?? 0, msg.total_predictions);
    modelsPanel.setPredictions(model.id, model.total_predictions);
  }

  const handlers = {
    applySnapshot(msg) {
      models.clear();
      for (const model of msg.models ?? []) upsert(model);
      if (msg.active_model) upsert(msg.active_model);
      // A snapshot is the whole truth (also after a reconnect): start over even for the same model.
      setActive(msg.active_model?.id ?? null, { force: true });
      renderActive();
      if (msg.system) grid.applySystem(msg.system);
      const live = activeId !== null ? msg.metrics?.[activeId] : null;
      if (live) handlers.updateLiveModelMetrics({ ...live, model_id: activeId });
      training.addJobs(msg.training ?? []);
      renderModels();
    },

    updateSystemMetrics(msg) {
      grid.applySystem(msg);
    },

    updateLiveModelMetrics(msg) {
      countPredictions(msg);
      if (String(msg.model_id) !== activeId) return;
      grid.applyModelMetrics(msg);
      drift.render(msg.drift ?? null);
      confusion.render(msg.confusion ?? null);
      status.setTotal(msg.total_predictions);
      status.setReason(msg.health_reason);
      if (typeof msg.uptime_seconds === 'number') status.setUptime(msg.uptime_seconds);
      const model = getModel(activeId);
      if (model && msg.status && (msg.status !== model.status || (msg.model_health ?? model.health) !== model.health)) {
        model.status = msg.status;
        model.health = msg.model_health ?? model.health;
        status.setStatus(model.status, model.health);
        renderModels();
      }
    },

    handleMetricsHistory(msg) {
      if (String(msg.model_id) === activeId) charts?.push(msg.point);
    },

    updatePredictionRate(msg) {
      countPredictions(msg);
      if (String(msg.model_id) !== activeId) return;
      status.setTotal(msg.total_predictions);
      recent.add(msg.predictions);
    },

    handleModelStatusChange(msg) {
      const model = known(msg.model_id);
      if (model) {
        model.status = msg.new_status;
        model.health = msg.new_health ?? model.health;
      }
      if (String(msg.model_id) === activeId) {
        status.setStatus(msg.new_status, msg.new_health);
        status.setReason(msg.reason);
        announcer.textContent = `${label(model)} is now ${msg.new_status} (health ${msg.new_health}): ${msg.reason ?? ''}`;
      } else if (msg.new_status === 'active') {
        setActive(msg.model_id);
        renderActive();
      }
      renderModels();
    },

    handleModelStatusRealtime(msg) {
      if (String(msg.model_id) !== activeId) return;
      const model = getModel(activeId);
      if (model) Object.assign(model, { status: msg.status, health: msg.health });
      status.setStatus(msg.status, msg.health);
      if (typeof msg.uptime_seconds === 'number') status.setUptime(msg.uptime_seconds);
    },

    handleModelDeployed(msg) {
      const id = String(msg.model_id);
      const previous = getModel(activeId);
      if (previous && previous.id !== id && (previous.status === 'active' || previous.status === 'degraded')) {
        previous.status = 'inactive';
      }
      if (!getModel(id)) onUnknownModel(id);
      const model = upsert({
        id, name: msg.model_name, version: msg.model_version, status: 'active',
        deployed_at: msg.deployment_timestamp,
      });
      model.health ??= 'unknown';
      setActive(id);
      renderActive();
      announcer.textContent = `${label(model)} deployed`;
      renderModels();
    },

    handleTrainingProgress(msg) {
      const model = known(msg.model_id);
      if (model && model.status !== 'training' && msg.stage !== 'ready' && msg.stage !== 'failed') {
        model.status = 'training';
        renderModels();
      }
      training.progress(msg);
    },

    handleTrainingCompleted(msg) {
      const model = known(msg.model_id);
      if (model) Object.assign(model, { status: 'ready', validation_accuracy: msg.validation_accuracy });
      training.completed(msg);
      renderModels();
    },

    handleTrainingFailed(msg) {
      const model = known(msg.model_id);
      if (model) Object.assign(model, { status: 'failed', error: msg.error });
      training.failed(msg);
      renderModels();
    },

    handleServerError(msg) {
      connection.serverMessage(`server: ${msg.message ?? 'error'}`);
    },
  };

  return {
    ...handlers,

    setConfig(next) {
      config = next;
      grid.recolour();
    },
    get config() {
      return config;
    },
    get activeModelId() {
      return activeId;
    },

    /** The REST model list, before the first snapshot arrives. */
    setModels(list) {
      for (const model of list) upsert(model);
      const active = list.find((m) => m.status === 'active' || m.status === 'degraded');
      if (active) setActive(active.id);
      renderActive();
      renderModels();
    },

    /** GET .../metrics/history of the shown model (see `onShownModel`): the charts open drawn. */
    applyMetricsHistory(body) {
      if (body && String(body.model_id) === activeId) charts?.load(body.points);
    },

    /** GET .../predictions of the shown model: the table opens with the newest logged. */
    applyRecentPredictions(body) {
      if (!body || String(body.model_id) !== activeId) return;
      recent.add((body.predictions ?? []).filter((p) => p.error == null).reverse());
    },

    /** One model fetched by REST (see `onUnknownModel`). */
    upsertModel(model) {
      const merged = upsert(model);
      if (merged.id === activeId) {
        renderActive();
        status.setTotal(merged.total_predictions, { pulse: false });
      }
      training.render();
      renderModels();
    },

    /** `GET /api/monitoring/system`, polled while the socket is down. */
    applyFallback(data) {
      if (data.system_status) grid.applySystem(data.system_status);
      if (data.active_model) {
        const model = upsert(data.active_model);
        setActive(model.id);
        renderActive();
        status.setTotal(model.total_predictions);
        renderModels();
      }
      if (data.real_time_metrics) grid.applyPolledModelMetrics(data.real_time_metrics);
      connection.markPolled(parseTimestamp(data.timestamp) ?? Date.now());
    },

    /** ws-client's `onStateChange`, or `{state: 'demo'}`. */
    setConnectionState(next) {
      const down = connection.setState(next);
      // Grey only on the way down: tiles refreshed by polling since then stay un-greyed.
      if (down !== wasDown) {
        grid.setDisconnected(down);
        status.setDisconnected(down);
        for (const panel of [drift, confusion, recent]) panel.setDisconnected(down);
      }
      wasDown = down;
    },

    renderStats: connection.renderStats,

    /** Re-render the relative "last trained" time; main.js calls it every second. */
    tick: status.tick,

    showModelsMessage: modelsPanel.showMessage,

    /** GET /api/datasets: the train form's dataset choices. */
    setDatasets: modelsPanel.setDatasets,
  };
}

/**
 * The Live System Status page: it keeps what the server said about models (a small store) and
 * exposes the message handlers that update the panels: Current Model Status, Live Training
 * Progress, the Real-Time Metrics Grid, the charts, Drift, Confusion, Recent predictions and
 * the Models panel. The panels show one model, the one chosen in the model picker: the
 * deployed model by default, or any model served elsewhere that is monitored here
 * (model-choice.js). Every message naming another model only updates that model's entry in the
 * store (its count, its status), never the numbers shown. The same handlers serve the real
 * socket and demo mode. View module: it only touches the DOM under `doc` (via the panel
 * modules) and the charts it is handed.
 *
 * Handlers take the messages of docs/PAYLOADS.md as they are; nothing shown is derived from
 * other numbers in the browser (predictions/min is the server's `predictions_per_minute`).
 */

import { MODEL_METRICS } from './config.js';
import { createConfusionPanel } from './confusion-panel.js';
import { createConnectionView } from './connection-view.js';
import { createDriftPanel } from './drift-panel.js';
import { createMetricsGrid } from './metrics-grid.js';
import { concernsModel, isDeployed, isNotOlder, isServedElsewhere, resolveChoice } from './model-choice.js';
import { createModelPicker } from './model-picker.js';
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
 *   known yet (trained or registered by another client): fetch it and call `upsertModel`.
 * @param {(modelId: string|null) => void} [options.onShownModel]  the panels now show another
 *   model (or none): fetch its metrics history, recent predictions and live numbers and call
 *   `applyMetricsHistory`, `applyRecentPredictions` and `applyRealtime`.
 * @param {(modelId: string) => void} [options.onChoose]  the person chose a model in the picker:
 *   remember the choice (URL, storage).
 * @param {string|null} [options.initialChoice]  the model the URL or storage asks for; shown
 *   while the picker lists it (model-choice.js `resolveChoice`).
 * @param {{onTrain, onDeploy, onUpload}} options.intents  see models-panel.js
 */
export function createDashboard(doc, {
  charts = null, now = () => Date.now(), onUnknownModel = () => {}, onShownModel = () => {},
  onChoose = () => {}, initialChoice = null, intents,
}) {
  let config = MODEL_METRICS;
  const models = new Map();
  let shownId = null;
  // The person's last choice in the picker (or the URL's); null follows the default.
  let preferredId = initialChoice == null ? null : String(initialChoice);
  // When the numbers shown were computed (epoch ms), so an older answer cannot replace them.
  let shownComputedAt = null;
  let wasDown = false;

  const getModel = (id) => (id == null ? null : models.get(String(id)) ?? null);
  const grid = createMetricsGrid(doc.querySelector('[data-testid="metrics-grid"]'), { getConfig: () => config });
  const status = createModelStatusPanel(doc.querySelector('[data-panel="model-status"]'), { now });
  const training = createTrainingPanel(doc.querySelector('[data-panel="training"]'), { getModel });
  const modelsPanel = createModelsPanel(doc.querySelector('[data-panel="models"]'), intents);
  const drift = createDriftPanel(doc.querySelector('[data-panel="drift"]'));
  const confusion = createConfusionPanel(doc.querySelector('[data-panel="confusion"]'));
  const recent = createRecentPredictionsPanel(doc.querySelector('[data-panel="recent-predictions"]'));
  const picker = createModelPicker(doc.querySelector('[data-role="model-picker"]'), {
    onChoose(modelId) {
      preferredId = String(modelId);
      onChoose(preferredId);
      reconsider();
    },
  });
  const connection = createConnectionView(doc);
  const announcer = doc.querySelector('[data-testid="status-announcer"]');

  const label = (model) => (model ? `${model.name} v${model.version}` : 'the model');

  /** The model deployed here (status active or degraded), if the store knows one. */
  function deployedId() {
    for (const model of models.values()) if (isDeployed(model)) return model.id;
    return null;
  }

  function renderModels() {
    modelsPanel.render(models.values(), deployedId(), shownId);
    picker.render(models.values(), shownId);
  }

  /** The model named by a message; asks for it once when it is not known yet. */
  function known(id) {
    const model = getModel(id);
    if (!model) onUnknownModel(String(id));
    return model;
  }

  function upsert(model) {
    const id = String(model.id);
    const before = models.get(id);
    const merged = { ...before, ...model, id };
    // A REST list read a moment before the latest prediction_logged must not lower a count.
    if (typeof before?.total_predictions === 'number') {
      merged.total_predictions = Math.max(before.total_predictions, merged.total_predictions ?? 0);
    }
    models.set(id, merged);
    return merged;
  }

  /** The status panel and the grid's captions for the model shown (served here or elsewhere). */
  function renderShown() {
    const model = getModel(shownId);
    status.showModel(model, shownId);
    grid.setServedElsewhere(isServedElsewhere(model));
  }

  /** Show `modelId`'s numbers from now on; `force` starts over even when it is already shown. */
  function show(modelId, { force = false } = {}) {
    const id = modelId == null ? null : String(modelId);
    if (id === shownId && !force) return false;
    shownId = id;
    shownComputedAt = null;
    status.resetTotal();
    grid.clearModelMetrics();
    drift.render(null);
    confusion.render(null);
    recent.clear();
    charts?.reset();
    renderShown();
    const model = getModel(id);
    if (model) status.setTotal(model.total_predictions, { pulse: false });
    onShownModel(id);
    return true;
  }

  /** Follow the choice (or the default) after the models changed; re-render the lists. */
  function reconsider({ force = false } = {}) {
    show(resolveChoice(models.values(), preferredId), { force });
    renderModels();
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
      reconsider({ force: true });
      if (msg.system) grid.applySystem(msg.system);
      const live = shownId !== null ? msg.metrics?.[shownId] : null;
      if (live) handlers.updateLiveModelMetrics({ ...live, model_id: shownId });
      training.addJobs(msg.training ?? []);
      renderModels();
    },

    updateSystemMetrics(msg) {
      grid.applySystem(msg);
    },

    /** The live numbers of any model (`model_metrics_update`, or the realtime REST body). */
    updateLiveModelMetrics(msg) {
      countPredictions(msg);
      const shown = concernsModel(msg, shownId);
      if (shown) {
        const computedAt = parseTimestamp(msg.computed_at);
        if (!isNotOlder(computedAt, shownComputedAt)) return;
        if (computedAt !== null) shownComputedAt = computedAt;
      }
      const model = getModel(msg.model_id);
      const health = msg.model_health ?? model?.health;
      const changed = Boolean(model && msg.status && (msg.status !== model.status || health !== model.health));
      if (changed) Object.assign(model, { status: msg.status, health });
      if (shown) {
        grid.applyModelMetrics(msg);
        drift.render(msg.drift ?? null);
        confusion.render(msg.confusion ?? null);
        status.setTotal(msg.total_predictions);
        status.setReason(msg.health_reason);
        if (typeof msg.uptime_seconds === 'number') status.setUptime(msg.uptime_seconds);
        if (changed) status.setStatus(model.status, model.health);
      }
      if (changed) reconsider();
    },

    handleMetricsHistory(msg) {
      if (concernsModel(msg, shownId)) charts?.push(msg.point);
    },

    updatePredictionRate(msg) {
      countPredictions(msg);
      if (!concernsModel(msg, shownId)) return;
      status.setTotal(msg.total_predictions);
      recent.add(msg.predictions);
    },

    handleModelStatusChange(msg) {
      const model = known(msg.model_id);
      if (model) {
        model.status = msg.new_status;
        model.health = msg.new_health ?? model.health;
      }
      if (concernsModel(msg, shownId)) {
        status.setStatus(msg.new_status, msg.new_health);
        status.setReason(msg.reason);
        announcer.textContent = `${label(model)} is now ${msg.new_status} (health ${msg.new_health}): ${msg.reason ?? ''}`;
      }
      // A deploy, a retirement or a model turning degraded may change what is listed or shown.
      reconsider();
    },

    handleModelStatusRealtime(msg) {
      if (!concernsModel(msg, shownId)) return;
      const model = getModel(shownId);
      if (model) Object.assign(model, { status: msg.status, health: msg.health });
      status.setStatus(msg.status, msg.health);
      if (typeof msg.uptime_seconds === 'number') status.setUptime(msg.uptime_seconds);
    },

    handleModelDeployed(msg) {
      const id = String(msg.model_id);
      // One model is deployed at a time: the one it replaced is retired.
      for (const model of models.values()) {
        if (model.id !== id && isDeployed(model)) model.status = 'inactive';
      }
      if (!getModel(id)) onUnknownModel(id);
      const model = upsert({
        id, name: msg.model_name, version: msg.model_version, status: 'active',
        deployed_at: msg.deployment_timestamp,
      });
      model.health ??= 'unknown';
      announcer.textContent = `${label(model)} deployed`;
      // A page that followed the deployed model follows the new one; a chosen monitored model stays.
      reconsider();
      if (model.id === shownId) renderShown();
    },

    handleModelRegistered(msg) {
      const model = upsert({
        id: String(msg.model_id), name: msg.model_name, version: msg.model_version,
        status: msg.status, source: 'registered', runtime: 'external',
        created_at: msg.registered_at,
      });
      model.health ??= 'unknown';
      announcer.textContent = `${label(model)} registered (served elsewhere)`;
      reconsider();
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
    /** The model deployed here, as far as the page knows. */
    get activeModelId() {
      return deployedId();
    },
    /** The model every panel follows (the picker's choice). */
    get shownModelId() {
      return shownId;
    },

    /** `GET /api/models`: before the first snapshot, and now and then to list new models. */
    setModels(list) {
      for (const model of list) upsert(model);
      reconsider();
    },

    /** GET .../metrics/history of the shown model (see `onShownModel`): the charts open drawn. */
    applyMetricsHistory(body) {
      if (concernsModel(body, shownId)) charts?.load(body.points);
    },

    /** GET .../predictions of the shown model: the table opens with the newest logged. */
    applyRecentPredictions(body) {
      if (!concernsModel(body, shownId)) return;
      recent.add((body.predictions ?? []).filter((p) => p.error == null).reverse());
    },

    /**
     * GET .../metrics/realtime of the shown model: its numbers at once, without waiting for an
     * update (one only comes when something changed).
     */
    applyRealtime(body) {
      if (concernsModel(body, shownId)) handlers.updateLiveModelMetrics(body);
    },

    /** One model fetched by REST (see `onUnknownModel`). */
    upsertModel(model) {
      const merged = upsert(model);
      if (merged.id === shownId) {
        renderShown();
        status.setTotal(merged.total_predictions, { pulse: false });
      }
      training.render();
      reconsider();
    },

    /**
     * `GET /api/monitoring/system`, polled while the socket is down, with the shown model's
     * `GET .../metrics/realtime` (`realtime`, null when it could not be read).
     */
    applyFallback(data, realtime = null) {
      if (data.system_status) grid.applySystem(data.system_status);
      if (data.active_model) upsert(data.active_model);
      reconsider();
      if (realtime && concernsModel(realtime, shownId)) {
        handlers.updateLiveModelMetrics(realtime);
      } else if (data.real_time_metrics && data.active_model && concernsModel({ model_id: data.active_model.id }, shownId)) {
        grid.applyPolledModelMetrics(data.real_time_metrics);
        status.setTotal(getModel(shownId)?.total_predictions);
      }
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

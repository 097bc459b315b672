/**
 * Wires the dashboard: config → REST client → view → handler table → WebSocket client (or, with
 * `?demo=1`, the simulated world of demo-data.js through the very same handler table). The
 * model picker's choice is kept in the URL (`?model=<id>`, so a link shows the same model) and
 * in localStorage (so a bare reload does too).
 *
 * The only global is `window.__modelbeacon`, a read-only window for browser tests.
 */

import { createApi } from './api.js';
import { createCharts } from './charts.js';
import { CLIENT, MODEL_METRICS, mergeServerConfig } from './config.js';
import { createDashboard } from './dashboard.js';
import { requestedChoice, searchWithChoice } from './model-choice.js';
import { RenderStats, instrumentHandlers } from './render-stats.js';
import { createWsClient, dispatchMessage } from './ws-client.js';

const params = new URLSearchParams(window.location.search);
const demo = params.has('demo') && params.get('demo') !== '0';
const choiceKey = demo ? CLIENT.demo_choice_storage_key : CLIENT.choice_storage_key;

/** localStorage, or null where the browser refuses it (private mode, storage disabled). */
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function storedChoice() {
  try {
    return storage()?.getItem(choiceKey) ?? null;
  } catch {
    return null;
  }
}

/** Remember the picker's choice: in the URL (without a new history entry) and in storage. */
function rememberChoice(modelId) {
  const search = searchWithChoice(window.location.search, modelId);
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}${window.location.hash}`);
  try {
    storage()?.setItem(choiceKey, modelId);
  } catch {
    // Storage full or refused: the URL still remembers it.
  }
}

async function main() {
  let config = MODEL_METRICS;
  let world = null;
  let demoModule = null;
  let api;
  if (demo) {
    // Loaded only in demo mode: the live page never downloads the simulator.
    demoModule = await import('./demo-data.js');
    const seed = Number(params.get('seed') ?? 42);
    world = demoModule.DemoWorld.opening({ seed, nowMs: Date.now() });
    api = demoModule.createDemoApi(world);
  } else {
    api = createApi();
  }

  const charts = createCharts(document.querySelector('[data-panel="charts"]'));
  const pendingModels = new Set();
  let dashboard = null;

  const intents = {
    async onTrain(spec) {
      const { job_id: jobId, model_id: modelId } = await api.trainModel(spec);
      return `Training job #${jobId} started (model ${modelId}); progress appears above.`;
    },
    async onDeploy(modelId) {
      await api.deployModel(modelId);
      return `Deploy of model ${modelId} requested.`;
    },
    async onUpload({ file, target, name }) {
      const dataset = await api.uploadDataset(file, target, name);
      loadDatasets();
      return dataset;
    },
  };

  function loadDatasets() {
    api.listDatasets()
      .then((list) => dashboard.setDatasets(list))
      // Out of reach or an older server: the form keeps what it offers (at first config.js's
      // built-in list).
      .catch(() => {});
  }

  /** Everything the panels show of `modelId` that the socket only sends when it changes. */
  function loadShownModel(modelId) {
    if (modelId === null) return;
    // Its numbers now: a model with no traffic at the moment sends no update.
    api.getRealtimeMetrics(modelId)
      .then((body) => dashboard.applyRealtime(body))
      .catch(() => {});
    api.getMetricsHistory(modelId, CLIENT.chart_window_seconds)
      .then((body) => dashboard.applyMetricsHistory(body))
      // A server without the history route (404) or out of reach: the charts start empty and
      // fill from the socket's metrics_history points.
      .catch(() => {});
    // The recent-predictions table opens with the log's newest rows, like the charts.
    api.getPredictions(modelId, CLIENT.recent_predictions_rows)
      .then((body) => dashboard.applyRecentPredictions(body))
      .catch(() => {});
  }

  dashboard = createDashboard(document, {
    charts,
    now: () => (world ? world.now : Date.now()),
    intents,
    onShownModel: loadShownModel,
    onChoose: rememberChoice,
    initialChoice: requestedChoice(window.location.search, storedChoice()),
    onUnknownModel(modelId) {
      // A model trained or registered by another client: fetch it once, the events carry the rest.
      if (pendingModels.has(modelId)) return;
      pendingModels.add(modelId);
      api.getModel(modelId)
        .then((model) => dashboard.upsertModel(model))
        .catch(() => {})
        .finally(() => pendingModels.delete(modelId));
    },
  });

  function setConfig(serverConfig) {
    config = mergeServerConfig(serverConfig);
    dashboard.setConfig(config);
    charts.setConfig(config);
  }

  let snapshotSeen = false;
  const stats = new RenderStats();
  const handlers = instrumentHandlers({
    snapshot(msg) {
      snapshotSeen = true;
      setConfig(msg.config);
      dashboard.applySnapshot(msg);
    },
    system_metrics: dashboard.updateSystemMetrics,
    model_metrics_update: dashboard.updateLiveModelMetrics,
    metrics_history: dashboard.handleMetricsHistory,
    prediction_logged: dashboard.updatePredictionRate,
    model_status_change: dashboard.handleModelStatusChange,
    model_status_realtime: dashboard.handleModelStatusRealtime,
    model_deployed: dashboard.handleModelDeployed,
    model_registered: dashboard.handleModelRegistered,
    training_progress: dashboard.handleTrainingProgress,
    training_completed: dashboard.handleTrainingCompleted,
    training_failed: dashboard.handleTrainingFailed,
    error: dashboard.handleServerError,
    pong: () => {},
  }, stats, { onRecord: (s) => dashboard.renderStats(s.snapshot()) });

  let transport;
  if (world) {
    const speed = Math.max(0.1, Number(params.get('speed') ?? 1)) || 1;
    transport = demoModule.createDemoFeed({ world, handlers, speed });
    dashboard.setConnectionState({ state: 'demo' });
    transport.start();
    // The fast-forwarded history filled the charts; the footer measures live updates only.
    stats.reset();
    dashboard.renderStats(stats.snapshot());
  } else {
    api.getConfig().then((c) => { if (!snapshotSeen) setConfig(c); }).catch(() => {});
    const listModels = (always) => api.listModels()
      .then((body) => {
        const list = Array.isArray(body) ? body : body?.models ?? [];
        if (always || !snapshotSeen) dashboard.setModels(list);
      })
      .catch(() => {});
    listModels(false);
    // Registering is announced (model_registered); this refresh lists the models registered or
    // trained while the socket was down.
    window.setInterval(() => listModels(true), CLIENT.models_refresh_ms);
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    transport = createWsClient({
      url: `${scheme}://${window.location.host}/ws`,
      handlers,
      fallback: {
        intervalMs: CLIENT.fallback_poll_ms,
        // The system's numbers, and the shown model's own (it may be one served elsewhere,
        // which /api/monitoring/system does not describe).
        poll: async () => {
          const shown = dashboard.shownModelId;
          const [system, realtime] = await Promise.all([
            api.getSystemMonitoring(),
            shown === null ? null : api.getRealtimeMetrics(shown).catch(() => null),
          ]);
          return { system, realtime };
        },
        onData: ({ system, realtime }) => dashboard.applyFallback(system, realtime),
      },
      onStateChange: (state) => dashboard.setConnectionState(state),
    });
    transport.start();
  }

  loadDatasets();
  window.setInterval(() => dashboard.tick(), CLIENT.relative_time_tick_ms);

  window.__modelbeacon = Object.freeze({
    mode: world ? 'demo' : 'live',
    renderStats: () => stats.snapshot(),
    config: () => config,
    activeModelId: () => dashboard.activeModelId,
    shownModelId: () => dashboard.shownModelId,
    chartsReady: charts.ready,
    transportState: () => (world ? 'demo' : transport.state),
    // Feed one message through the same (timed) handler table the socket uses.
    dispatch: (message) => dispatchMessage(handlers, message),
    world,
  });
}

main().catch((error) => {
  console.error('modelbeacon dashboard failed to start', error);
  const notice = document.querySelector('[data-testid="connection-notice"]');
  notice.hidden = false;
  notice.textContent = `The dashboard failed to start: ${error.message}`;
});

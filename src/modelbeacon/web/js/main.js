/**
 * Wires the dashboard: config → REST client → view → handler table → WebSocket client (or, with
 * `?demo=1`, the simulated world of demo-data.js through the very same handler table).
 *
 * The only global is `window.__modelbeacon`, a read-only window for browser tests.
 */

import { createApi } from './api.js';
import { createCharts } from './charts.js';
import { CLIENT, MODEL_METRICS, mergeServerConfig } from './config.js';
import { createDashboard } from './dashboard.js';
import { RenderStats, instrumentHandlers } from './render-stats.js';
import { createWsClient, dispatchMessage } from './ws-client.js';

const params = new URLSearchParams(window.location.search);
const demo = params.has('demo') && params.get('demo') !== '0';

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

  function loadHistory(modelId) {
    if (modelId === null) return;
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
    onShownModel: loadHistory,
    onUnknownModel(modelId) {
      // A model trained by another client: fetch it once, the events carry the rest.
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
    api.listModels()
      .then((body) => {
        const list = Array.isArray(body) ? body : body?.models ?? [];
        if (!snapshotSeen) dashboard.setModels(list);
      })
      .catch(() => {});
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    transport = createWsClient({
      url: `${scheme}://${window.location.host}/ws`,
      handlers,
      fallback: {
        intervalMs: CLIENT.fallback_poll_ms,
        poll: () => api.getSystemMonitoring(),
        onData: (data) => dashboard.applyFallback(data),
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

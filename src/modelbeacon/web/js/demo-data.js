/**
 * Demo mode (`/?demo=1`): a simulated modelbeacon server that needs no backend. DemoWorld emits
 * every WebSocket message type of docs/PAYLOADS.md with the documented fields, driven by a
 * seeded random source and a clock you advance, so the page and the tests see the same
 * deterministic story: traffic in a daily-like wave, delayed and noisy labels, a drift episode
 * that shifts some input features and takes live accuracy through 85% and 80% and back while
 * the overconfident estimate stays high, a periodic retraining with progress and a deployment,
 * and an experiment that sometimes fails. Beside the deployed model it monitors one model
 * served elsewhere (registered: status `monitored`, the latencies its caller measured, no
 * error rate), with traffic, labels and a milder drift episode of its own. It keeps the last
 * hour of each of their metrics histories (one point per metrics step), as GET
 * .../metrics/history answers it.
 *
 * Datasets uploaded as CSV are inspected in the browser (demo-csv.js) and can be trained on.
 *
 * createDemoApi and createDemoFeed (demo-feed.js, re-exported here) answer the REST calls of
 * api.js from the same world and push its messages through the page's handler table, the same
 * table the real socket uses. DOM-free.
 */

import { ApiError } from './api.js';
import { ALGORITHMS, DATASETS, DEPLOYABLE_STATUSES, MODEL_METRICS } from './config.js';
import { isServedElsewhere } from './model-choice.js';
import { datasetNameFrom, inspectCsv } from './demo-csv.js';
import { computeHealth, computeTrend, effectiveStatus, systemHealth } from './demo-judgement.js';
import { DEMO_MONITORED_TIMELINE, DEMO_TIMELINE, cyclePosition, expectedRate } from './demo-timeline.js';
import { ModelTraffic } from './demo-traffic.js';
import { TrainingJob, builtinDataset, validationAccuracy } from './demo-training.js';
import { createRng } from './rng.js';
import { formatDuration } from './ui-core.js';

export { createDemoApi, createDemoFeed } from './demo-feed.js';

const iso = (ms) => new Date(ms).toISOString();

/** How much metrics history the demo keeps per model (the server keeps 24 hours). */
const HISTORY_KEEP_SECONDS = 3600;

const percent = (fraction) => `${(fraction * 100).toFixed(1)}%`;

export class DemoWorld {
  /**
   * @param {{seed?: number, start?: number, config?: object, timeline?: object}} options
   *   `start` is the simulated clock's origin in epoch ms.
   */
  constructor({ seed = 42, start = Date.now(), config = MODEL_METRICS, timeline = DEMO_TIMELINE } = {}) {
    this.rng = createRng(seed);
    // The model served elsewhere draws from its own source, so adding it left the served
    // model's story for a seed as it was.
    this.monitoredRng = createRng(seed + 0x5eed);
    this.config = { ...config };
    this.timeline = timeline;
    this.start = start;
    this.stepMs = Math.round(this.config.prediction_interval * 1000);
    this.metricsEvery = Math.max(1, Math.round((this.config.metrics_interval * 1000) / this.stepMs));
    this.systemEvery = Math.max(1, Math.round((this.config.system_interval * 1000) / this.stepMs));
    this.step = 0;
    this.models = new Map();
    this.traffic = new Map();
    this.lastMetrics = new Map();
    this.history = new Map();
    this.jobs = new Map();
    this.uploads = new Map();
    this.pending = [];
    this.scheduled = [];
    this.nextModelId = 1;
    this.nextJobId = 1;
    this.activeId = null;
    this.system = null;
    this.seedModels();
    this.system = this.measureSystem();
  }

  /** A world whose clock starts `timeline.opens_at` seconds before `nowMs`: the page opens there. */
  static opening({ seed, nowMs, timeline = DEMO_TIMELINE }) {
    return new DemoWorld({ seed, start: nowMs - timeline.opens_at * 1000, timeline });
  }

  /** Current simulated time in epoch ms. */
  get now() {
    return this.start + this.step * this.stepMs;
  }

  get seconds() {
    return (this.now - this.start) / 1000;
  }

  seedModels() {
    const t = this.start;
    const hour = 3_600_000;
    const lr = this.addModel({ name: 'iris-lr', dataset: 'iris', algorithm: 'logistic_regression' }, t - 2.4 * hour);
    Object.assign(lr, {
      status: 'active', last_trained_at: iso(t - 2.3 * hour), deployed_at: iso(t - 2.25 * hour),
      validation_accuracy: 0.9667, total_predictions: 1247,
    });
    this.activeId = lr.id;
    const rf = this.addModel({ name: 'wine-rf', dataset: 'wine', algorithm: 'random_forest' }, t - 26 * hour);
    Object.assign(rf, {
      status: 'inactive', last_trained_at: iso(t - 25.9 * hour), deployed_at: iso(t - 25 * hour),
      validation_accuracy: 0.9722, total_predictions: 312,
    });
    const mlp = this.addModel({ name: 'digits-mlp', dataset: 'digits', algorithm: 'mlp' }, t - 5 * hour);
    Object.assign(mlp, { status: 'ready', last_trained_at: iso(t - 4.9 * hour), validation_accuracy: 0.9694 });
    const gb = this.addModel({ name: 'cancer-gb', dataset: 'breast_cancer', algorithm: 'gradient_boosting' }, t - 3 * hour);
    Object.assign(gb, { status: 'failed', error: 'fitting failed: worker ran out of memory (simulated)' });
    this.registerModel({ name: 'iris-kserve', dataset: 'iris' }, t - 30 * hour, { total: 5310, baseAccuracy: 0.93 });
  }

  /**
   * A model served elsewhere (`POST /api/models/register` with a reference dataset): status
   * `monitored`, no artifact, its traffic simulated by DEMO_MONITORED_TIMELINE.
   */
  registerModel({ name, dataset }, createdMs, { total = 0, baseAccuracy = null } = {}) {
    const model = this.addModel({ name, dataset, algorithm: 'external' }, createdMs);
    Object.assign(model, { status: 'monitored', source: 'registered', runtime: 'external', total_predictions: total });
    this.traffic.set(model.id, new ModelTraffic(model, this.monitoredRng, DEMO_MONITORED_TIMELINE, { baseAccuracy }));
    return model;
  }

  /** The models with traffic: the deployed one, then those served elsewhere, by id. */
  watchedModels() {
    const active = this.models.get(this.activeId);
    const monitored = [...this.models.values()].filter((model) => isServedElsewhere(model));
    return active ? [active, ...monitored] : monitored;
  }

  addModel({ name, dataset, algorithm }, createdMs) {
    const id = String(this.nextModelId++);
    const version = 1 + [...this.models.values()].filter((m) => m.name === name).length;
    const { features, classes } = this.dataset(dataset);
    const model = {
      id, name, version, algorithm, dataset, status: 'training', health: 'unknown',
      created_at: iso(createdMs), last_trained_at: null, deployed_at: null,
      validation_accuracy: null, total_predictions: 0,
      feature_names: features.map((f) => f.name), features: structuredClone(features),
      classes: [...classes], source: 'trained', runtime: 'sklearn', error: null,
    };
    this.models.set(id, model);
    this.traffic.set(id, new ModelTraffic(model, this.rng, this.timeline));
    return model;
  }

  emit(type, fields) {
    this.pending.push({ type, timestamp: iso(this.now), ...fields });
  }

  /** Advance the simulated clock to `untilMs` and return every message produced, in order. */
  advance(untilMs) {
    while (this.start + (this.step + 1) * this.stepMs <= untilMs) {
      this.step += 1;
      this.tick();
    }
    return this.drain();
  }

  drain() {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  tick() {
    const now = this.now;
    const seconds = this.seconds;
    const stepSeconds = this.stepMs / 1000;
    const position = cyclePosition(seconds, this.timeline);
    const cycle = Math.floor(seconds / this.timeline.cycle_seconds);
    if (position >= this.timeline.retrain_at && position - stepSeconds < this.timeline.retrain_at) {
      this.startRetraining();
    }
    if (position >= this.timeline.experiment_at && position - stepSeconds < this.timeline.experiment_at) {
      this.startJob({ name: 'wine-gb', dataset: 'wine', algorithm: 'gradient_boosting' }, {
        failAt: cycle % 2 === 1 ? 'fitting' : null,
      });
    }
    for (const action of this.scheduled.filter((item) => item.at <= now)) action.run();
    this.scheduled = this.scheduled.filter((item) => item.at > now);
    for (const job of this.jobs.values()) this.advanceJob(job);

    for (const model of this.watchedModels()) {
      // Training on this machine slows the model served here, not one served elsewhere.
      const loaded = model.id === this.activeId && this.runningJobs().length > 0;
      const created = this.traffic.get(model.id).simulate(now - this.stepMs, now, seconds, {
        loadFactor: loaded ? 0.3 : 0,
      });
      if (created.length) {
        this.emit('prediction_logged', {
          model_id: model.id,
          count: created.length,
          total_predictions: model.total_predictions,
          predictions: created.slice(-20).map((entry) => ({
            prediction_id: entry.prediction_id,
            prediction: entry.prediction,
            latency_ms: entry.latency_ms,
            timestamp: iso(entry.timestamp),
          })),
        });
      }
    }
    if (this.step % this.metricsEvery === 0) this.publishMetrics();
    if (this.step % this.systemEvery === 0) {
      this.system = this.measureSystem();
      this.emit('system_metrics', { ...this.system });
    }
  }

  runningJobs() {
    return [...this.jobs.values()].filter((job) => !job.ended);
  }

  startRetraining() {
    const active = this.models.get(this.activeId);
    if (!active || this.runningJobs().some((job) => job.autoDeploy)) return;
    this.startJob({ name: active.name, dataset: active.dataset, algorithm: active.algorithm }, { autoDeploy: true });
  }

  startJob(spec, { autoDeploy = false, failAt = null } = {}) {
    const model = this.addModel(spec, this.now);
    const job = new TrainingJob({
      jobId: String(this.nextJobId++), model, dataset: this.dataset(spec.dataset), startMs: this.now,
      autoDeploy, failAt,
    });
    this.jobs.set(job.job_id, job);
    this.emit('training_progress', job.progressFields());
    return job;
  }

  advanceJob(job) {
    if (job.ended) return;
    const change = job.advance(this.now);
    if (!change) return;
    if (change.progressed) this.emit('training_progress', job.progressFields());
    if (change.ended === 'completed') {
      Object.assign(job.model, {
        status: 'ready', last_trained_at: iso(this.now),
        validation_accuracy: validationAccuracy(job.model, this.rng),
      });
      this.emit('training_progress', { ...job.progressFields(), details: `validation accuracy ${(job.model.validation_accuracy * 100).toFixed(1)}%` });
      this.emit('training_completed', {
        job_id: job.job_id, model_id: job.model.id, validation_accuracy: job.model.validation_accuracy,
      });
      if (job.autoDeploy) {
        this.scheduled.push({ at: this.now + 2000, run: () => this.deployModel(job.model.id) });
      }
    } else if (change.ended === 'failed') {
      Object.assign(job.model, { status: 'failed', error: job.error });
      this.emit('training_failed', { job_id: job.job_id, model_id: job.model.id, error: job.error });
    }
  }

  setStatus(model, status, health, reason) {
    if (model.status === status && model.health === health) return;
    const change = {
      model_id: model.id, old_status: model.status, new_status: status,
      old_health: model.health, new_health: health, reason,
    };
    model.status = status;
    model.health = health;
    this.emit('model_status_change', change);
  }

  deployModel(modelId) {
    const model = this.models.get(String(modelId));
    if (!model) throw new ApiError({ status: 404, code: 'not_found', message: `model ${modelId} does not exist` });
    if (model.id === this.activeId) return model;
    if (!DEPLOYABLE_STATUSES.includes(model.status)) {
      throw new ApiError({
        status: 409, code: 'conflict',
        message: `model ${model.id} is ${model.status}; only ready or inactive models can be deployed`,
        details: { status: model.status },
      });
    }
    const previous = this.models.get(this.activeId);
    if (previous) this.setStatus(previous, 'inactive', previous.health, `replaced by ${model.name} v${model.version}`);
    model.deployed_at = iso(this.now);
    this.activeId = model.id;
    this.lastMetrics.delete(model.id);
    this.setStatus(model, 'active', model.health, 'deployed');
    this.emit('model_deployed', {
      model_id: model.id, model_name: model.name, model_version: model.version,
      deployment_timestamp: model.deployed_at,
    });
    return model;
  }

  /**
   * The section-3 numbers of `model` now; a model served elsewhere makes no calls here, so it
   * has no error rate.
   */
  measure(model) {
    const measured = this.traffic.get(model.id).measure(this.now);
    return isServedElsewhere(model) ? { ...measured, error_rate: null } : measured;
  }

  /** The live metrics object of docs/PAYLOADS.md for `model`, as of now. */
  liveMetrics(model) {
    const traffic = this.traffic.get(model.id);
    const measured = this.measure(model);
    const deployedMs = model.deployed_at ? Date.parse(model.deployed_at) : null;
    return {
      model_id: model.id,
      status: model.status,
      model_health: model.health,
      health_reason: this.healthReason(measured, model.health),
      ...measured,
      uptime_seconds: model.id === this.activeId && deployedMs !== null ? (this.now - deployedMs) / 1000 : null,
      trend: computeTrend(traffic.windows(this.now)),
      computed_at: iso(this.now),
    };
  }

  publishMetrics() {
    for (const model of this.watchedModels()) {
      const served = model.id === this.activeId;
      const measured = this.measure(model);
      const health = computeHealth(measured, this.config);
      const base = served ? 'active' : 'monitored';
      this.setStatus(model, effectiveStatus(base, health), health, this.healthReason(measured, health));
      const metrics = this.liveMetrics(model);
      this.lastMetrics.set(model.id, metrics);
      this.emit('model_metrics_update', metrics);
      this.recordHistory(metrics);
      if (served) {
        this.emit('model_status_realtime', {
          model_id: model.id, status: model.status, health: model.health, uptime_seconds: metrics.uptime_seconds,
        });
      }
    }
  }

  /** One point of the model's metrics history, kept and pushed as `metrics_history`. */
  recordHistory(metrics) {
    const point = {
      timestamp: metrics.computed_at,
      predictions_per_minute: metrics.predictions_per_minute,
      current_accuracy: metrics.current_accuracy,
      accuracy_interval: metrics.accuracy_interval,
      estimated_accuracy: metrics.estimated_accuracy,
      latency_p95_ms: metrics.latency_ms.p95,
      error_rate: metrics.error_rate,
      drift_score: metrics.drift_score,
      model_health: metrics.model_health,
    };
    const points = this.history.get(metrics.model_id) ?? [];
    points.push(point);
    const oldest = iso(this.now - HISTORY_KEEP_SECONDS * 1000);
    while (points.length && points[0].timestamp <= oldest) points.shift();
    this.history.set(metrics.model_id, points);
    this.emit('metrics_history', { model_id: metrics.model_id, step_seconds: this.historyStepSeconds, point });
  }

  get historyStepSeconds() {
    return (this.metricsEvery * this.stepMs) / 1000;
  }

  /** `GET /api/models/{id}/metrics/history?seconds=`: the points of the last `seconds`, oldest first. */
  metricsHistory(modelId, seconds) {
    const model = this.models.get(String(modelId));
    if (!model) throw new ApiError({ status: 404, code: 'not_found', message: `model ${modelId} does not exist` });
    const since = iso(this.now - seconds * 1000);
    return {
      model_id: model.id,
      step_seconds: this.historyStepSeconds,
      points: (this.history.get(model.id) ?? []).filter((point) => point.timestamp > since),
    };
  }

  /** `GET /api/models/{id}/predictions?limit=`: the newest `limit` of the log, newest first. */
  recentPredictions(modelId, limit) {
    const model = this.models.get(String(modelId));
    if (!model) throw new ApiError({ status: 404, code: 'not_found', message: `model ${modelId} does not exist` });
    const log = this.traffic.get(model.id)?.log ?? [];
    return {
      model_id: model.id,
      predictions: log.slice(-limit).reverse().map((entry) => ({
        prediction_id: entry.prediction_id,
        prediction: entry.prediction,
        latency_ms: entry.latency_ms,
        timestamp: iso(entry.timestamp),
        error: null,
      })),
    };
  }

  /** The evidence for `health` in words, as the server's `health_reason` and status-change `reason`. */
  healthReason(measured, health) {
    const { accuracy_warning: warn, accuracy_critical: crit, min_labelled: minimum } = this.config;
    if (health === 'unknown') return `fewer than ${minimum} labelled predictions`;
    const interval = measured.accuracy_interval;
    const evidence = measured.current_accuracy === null ? 'live accuracy n/a'
      : `live accuracy ${percent(measured.current_accuracy)} [${percent(interval.low)}–${percent(interval.high)}] `
        + `over the last ${measured.accuracy_window} labels`;
    if (health === 'critical') return `${evidence} is below the critical line ${percent(crit)}`;
    if (health === 'warning') return `${evidence} is below the warning line ${percent(warn)}`;
    return `${evidence} is at or above ${percent(warn)}`;
  }

  measureSystem() {
    const rng = this.rng;
    const training = this.runningJobs().length > 0;
    const cpu = Math.min(100, Math.max(1, 8 + 0.12 * expectedRate(this.seconds, this.timeline) + (training ? 35 : 0) + rng.normal(0, 3)));
    const memory = Math.min(100, 46 + 6 * Math.sin(this.seconds / 900) + (training ? 8 : 0) + rng.normal(0, 0.5));
    const disk = 63.2 + this.seconds / 36_000;
    const worst = Math.max(cpu, memory, disk);
    return {
      cpu_percent: Number(cpu.toFixed(1)),
      memory_percent: Number(memory.toFixed(1)),
      disk_percent: Number(disk.toFixed(1)),
      active_connections: 1 + (Math.floor(this.seconds / 97) % 3),
      system_health: systemHealth(worst, this.config),
    };
  }

  /** The `snapshot` message a client receives on connect. */
  snapshot() {
    const metrics = {};
    for (const [id, last] of this.lastMetrics) metrics[id] = last;
    return {
      type: 'snapshot',
      timestamp: iso(this.now),
      config: { ...this.config },
      system: { ...this.system },
      active_model: this.activeId ? { ...this.models.get(this.activeId) } : null,
      models: this.listModels(),
      metrics,
      training: this.runningJobs().map((job) => job.jobFields()),
    };
  }

  listModels() {
    return [...this.models.values()].map((model) => ({ ...model }));
  }

  /** What the server answers to a client → server message (`ping`, `subscribe`). */
  clientMessage(message) {
    if (message?.type === 'ping') this.emit('pong', {});
    else if (message?.type !== 'subscribe') this.emit('error', { message: `unknown message type ${JSON.stringify(message?.type)}` });
  }

  /** Dataset `name` as GET /api/datasets describes it (built-in or uploaded); undefined if unknown. */
  dataset(name) {
    return builtinDataset(name) ?? this.uploads.get(name);
  }

  /** `GET /api/datasets`: the built-in ones, then uploads in upload order. */
  listDatasets() {
    return [...DATASETS.map(builtinDataset), ...this.uploads.values()];
  }

  /**
   * `POST /api/datasets`: keep the CSV `text` (the file `filename`) as dataset `name` (default:
   * from the file name) labelled by column `target`, with the server's refusals (422, 409).
   */
  uploadDataset({ text, filename, target, name }) {
    const chosen = name || datasetNameFrom(filename);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/.test(chosen)) {
      throw new ApiError({
        status: 422, code: 'invalid_input', details: { name: chosen },
        message: "name must be 1-50 letters, digits, '_', '.' or '-', starting with a letter or digit",
      });
    }
    if (this.dataset(chosen)) {
      throw new ApiError({
        status: 409, code: 'conflict', details: { name: chosen },
        message: `a dataset named '${chosen}' already exists: choose another name`,
      });
    }
    const dataset = { name: chosen, source: 'upload', ...inspectCsv(text, target), created_at: iso(this.now) };
    this.uploads.set(chosen, dataset);
    return dataset;
  }

  /** `POST /api/models/train` with the server's validation. */
  train(spec) {
    const name = typeof spec?.name === 'string' ? spec.name.trim() : '';
    const problems = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
      problems.push('name must be 1-64 letters, digits, ".", "_" or "-"');
    }
    const datasets = this.listDatasets().map((d) => d.name);
    if (!datasets.includes(spec?.dataset)) problems.push(`dataset must be one of ${datasets.join(', ')}`);
    if (!ALGORITHMS.includes(spec?.algorithm)) problems.push(`algorithm must be one of ${ALGORITHMS.join(', ')}`);
    if (problems.length) {
      throw new ApiError({ status: 422, code: 'validation_error', message: problems.join('; '), details: { problems } });
    }
    const job = this.startJob({ name, dataset: spec.dataset, algorithm: spec.algorithm });
    return { job_id: job.job_id, model_id: job.model.id };
  }

  /** `GET /api/monitoring/system`. */
  systemMonitoring() {
    const model = this.models.get(this.activeId) ?? null;
    const live = model ? this.liveMetrics(model) : null;
    return {
      active_model: model ? { ...model } : null,
      system_status: { ...this.system },
      real_time_metrics: {
        predictions_per_minute: live?.predictions_per_minute ?? 0,
        live_accuracy: live?.current_accuracy ?? null,
        estimated_accuracy: live?.estimated_accuracy ?? null,
        model_uptime: live?.uptime_seconds == null ? null : formatDuration(live.uptime_seconds),
      },
      timestamp: iso(this.now),
    };
  }
}

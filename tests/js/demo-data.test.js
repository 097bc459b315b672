import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError } from '../../src/modelbeacon/web/js/api.js';
import { MODEL_METRICS } from '../../src/modelbeacon/web/js/config.js';
import { DemoWorld, createDemoApi, createDemoFeed } from '../../src/modelbeacon/web/js/demo-data.js';
import { DEMO_TIMELINE, driftSeverity, expectedRate } from '../../src/modelbeacon/web/js/demo-timeline.js';
import { FakeClock } from './helpers/fakes.js';

const START = Date.UTC(2026, 10, 24, 6, 0, 0);
const HOUR = 3_600_000;

// The documented fields of docs/PAYLOADS.md, besides `type` and `timestamp`.
const MESSAGE_FIELDS = {
  snapshot: ['config', 'system', 'active_model', 'models', 'metrics', 'training'],
  system_metrics: ['cpu_percent', 'memory_percent', 'disk_percent', 'active_connections', 'system_health'],
  model_metrics_update: ['model_id', 'status', 'model_health', 'health_reason', 'total_predictions',
    'predictions_per_minute', 'current_accuracy', 'accuracy_window', 'accuracy_interval', 'estimated_accuracy',
    'estimate_gap', 'confusion', 'label_coverage', 'label_delay_seconds', 'latency_ms', 'error_rate', 'drift',
    'drift_score', 'uptime_seconds', 'trend', 'computed_at'],
  metrics_history: ['model_id', 'step_seconds', 'point'],
  prediction_logged: ['model_id', 'count', 'total_predictions', 'predictions'],
  model_status_change: ['model_id', 'old_status', 'new_status', 'old_health', 'new_health', 'reason'],
  model_status_realtime: ['model_id', 'status', 'health', 'uptime_seconds'],
  model_deployed: ['model_id', 'model_name', 'model_version', 'deployment_timestamp'],
  training_progress: ['job_id', 'model_id', 'stage', 'progress', 'details'],
  training_completed: ['job_id', 'model_id', 'validation_accuracy'],
  training_failed: ['job_id', 'model_id', 'error'],
  pong: [],
  error: ['message'],
};
const MODEL_FIELDS = ['id', 'name', 'version', 'algorithm', 'dataset', 'status', 'health', 'created_at',
  'last_trained_at', 'deployed_at', 'validation_accuracy', 'total_predictions', 'feature_names', 'features',
  'classes', 'source', 'runtime', 'error'];
const TREND_FIELDS = ['current_accuracy', 'estimated_accuracy', 'predictions_per_minute', 'latency_p95_ms',
  'error_rate', 'drift_score'];
const JOB_FIELDS = ['job_id', 'model_id', 'state', 'stage', 'progress', 'details', 'error'];
const STAGES = ['queued', 'loading_data', 'splitting', 'fitting', 'evaluating', 'saving', 'ready', 'failed'];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const sorted = (keys) => [...keys].sort();

function simulate({ seed = 7, ms = HOUR } = {}) {
  const world = new DemoWorld({ seed, start: START });
  const snapshot = world.snapshot();
  const events = world.advance(START + ms);
  return { world, snapshot, events };
}

// One simulated hour shared by the read-only tests below (it takes well under a second).
const HOUR_RUN = simulate();

/** Whether message `e` is about a model served here (not the one served elsewhere). */
const servedHere = (e) => HOUR_RUN.world.models.get(e.model_id).source !== 'registered';

test('demo-data is deterministic for a seed', () => {
  const a = simulate({ seed: 11, ms: 10 * 60_000 });
  const b = simulate({ seed: 11, ms: 10 * 60_000 });
  assert.deepEqual(a.events, b.events);
  assert.deepEqual(a.snapshot, b.snapshot);
  const c = simulate({ seed: 12, ms: 10 * 60_000 });
  assert.notDeepEqual(a.events, c.events);
});

test('demo-data advances in steps no matter how the time is sliced', () => {
  const whole = simulate({ seed: 3, ms: 5 * 60_000 }).events;
  const world = new DemoWorld({ seed: 3, start: START });
  const sliced = [];
  for (let t = START; t <= START + 5 * 60_000; t += 1234) sliced.push(...world.advance(t));
  sliced.push(...world.advance(START + 5 * 60_000));
  assert.deepEqual(sliced, whole);
});

test('demo-data produces every message type of docs/PAYLOADS.md within a simulated hour', () => {
  const { world, snapshot, events } = simulate();
  world.clientMessage({ type: 'ping' });
  world.clientMessage({ type: 'no_such_thing' });
  const types = new Set([snapshot.type, ...events.map((e) => e.type), ...world.drain().map((e) => e.type)]);
  assert.deepEqual(sorted(types), sorted(Object.keys(MESSAGE_FIELDS)));
});

test('demo-data messages have exactly the documented fields', () => {
  const { world, snapshot, events } = HOUR_RUN;
  world.clientMessage({ type: 'ping' });
  world.clientMessage({ type: 'nope' });
  for (const message of [snapshot, ...events, ...world.drain()]) {
    assert.deepEqual(sorted(Object.keys(message)), sorted(['type', 'timestamp', ...MESSAGE_FIELDS[message.type]]),
      message.type);
    assert.match(message.timestamp, ISO_UTC);
  }
});

test('demo-data nested payloads have exactly the documented fields', () => {
  const { snapshot, events } = HOUR_RUN;
  assert.deepEqual(sorted(Object.keys(snapshot.config)), sorted(Object.keys(MODEL_METRICS)));
  assert.deepEqual(sorted(Object.keys(snapshot.system)), sorted(MESSAGE_FIELDS.system_metrics));
  for (const model of [snapshot.active_model, ...snapshot.models]) {
    assert.deepEqual(sorted(Object.keys(model)), sorted(MODEL_FIELDS));
  }
  for (const m of events.filter((e) => e.type === 'model_metrics_update')) {
    assert.deepEqual(sorted(Object.keys(m.latency_ms)), ['p50', 'p95', 'p99']);
    assert.deepEqual(sorted(Object.keys(m.trend)), sorted(TREND_FIELDS));
    for (const word of Object.values(m.trend)) assert.ok(['up', 'down', 'flat'].includes(word));
    assert.match(m.computed_at, ISO_UTC);
  }
  for (const m of events.filter((e) => e.type === 'prediction_logged')) {
    assert.ok(m.predictions.length >= 1 && m.predictions.length <= 20);
    assert.ok(m.predictions.length <= m.count);
    for (const p of m.predictions) {
      assert.deepEqual(sorted(Object.keys(p)), ['latency_ms', 'prediction', 'prediction_id', 'timestamp']);
    }
    const times = m.predictions.map((p) => Date.parse(p.timestamp));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'newest last');
  }
});

test('demo-data values stay in their documented ranges', () => {
  const { events } = HOUR_RUN;
  const fraction = (v) => v === null || (v >= 0 && v <= 1);
  for (const e of events) {
    if (e.type === 'model_metrics_update') {
      assert.ok(fraction(e.current_accuracy) && fraction(e.estimated_accuracy) && fraction(e.error_rate));
      assert.ok(fraction(e.drift_score));
      assert.ok(Number.isInteger(e.predictions_per_minute) && e.predictions_per_minute >= 0);
      assert.ok(Number.isInteger(e.accuracy_window) && e.accuracy_window >= 0 && e.accuracy_window <= 100);
      assert.equal(e.current_accuracy === null, e.accuracy_window === 0);
      const { p50, p95, p99 } = e.latency_ms;
      if (p50 !== null) assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 < 100);
      assert.ok(['unknown', 'healthy', 'warning', 'critical'].includes(e.model_health));
      const elsewhere = HOUR_RUN.world.models.get(e.model_id).source === 'registered';
      assert.ok((elsewhere ? ['monitored', 'degraded'] : ['active', 'degraded']).includes(e.status), e.status);
      if (elsewhere) assert.equal(e.error_rate, null, 'a model served elsewhere makes no calls here');
    } else if (e.type === 'system_metrics') {
      for (const key of ['cpu_percent', 'memory_percent', 'disk_percent']) assert.ok(e[key] >= 0 && e[key] <= 100);
      assert.ok(Number.isInteger(e.active_connections) && e.active_connections >= 0);
      assert.ok(['healthy', 'warning', 'critical'].includes(e.system_health));
    } else if (e.type === 'training_progress') {
      assert.ok(e.progress >= 0 && e.progress <= 100);
      assert.ok(STAGES.includes(e.stage), e.stage);
    } else if (e.type === 'training_completed') {
      assert.ok(e.validation_accuracy > 0.5 && e.validation_accuracy <= 1);
    }
  }
});

test('demo-data training progress walks the stages in order and never goes back', () => {
  const byJob = new Map();
  for (const e of HOUR_RUN.events.filter((x) => x.type === 'training_progress')) {
    if (!byJob.has(e.job_id)) byJob.set(e.job_id, []);
    byJob.get(e.job_id).push(e);
  }
  assert.ok(byJob.size >= 5);
  for (const list of byJob.values()) {
    for (let i = 1; i < list.length; i += 1) {
      assert.ok(list[i].progress >= list[i - 1].progress);
      assert.ok(STAGES.indexOf(list[i].stage) >= STAGES.indexOf(list[i - 1].stage));
    }
  }
});

test('demo-data totals only grow and match the logged counts', () => {
  const totals = new Map();
  const counted = new Map();
  for (const e of HOUR_RUN.events) {
    if (e.type !== 'prediction_logged' && e.type !== 'model_metrics_update') continue;
    const before = totals.get(e.model_id) ?? 0;
    assert.ok(e.total_predictions >= before);
    totals.set(e.model_id, e.total_predictions);
    if (e.type === 'prediction_logged') {
      const [first, sum] = counted.get(e.model_id) ?? [e.total_predictions - e.count, 0];
      counted.set(e.model_id, [first, sum + e.count]);
      assert.equal(e.total_predictions, first + sum + e.count);
    }
  }
});

test('demo-data predictions per minute is the count of the last 60 s (brute-force oracle)', () => {
  const logged = HOUR_RUN.events.filter((e) => e.type === 'prediction_logged');
  let checked = 0;
  for (const m of HOUR_RUN.events.filter((e) => e.type === 'model_metrics_update')) {
    const t = Date.parse(m.computed_at);
    const deployed = HOUR_RUN.events.find((e) => e.type === 'model_deployed' && e.model_id === m.model_id);
    // Only minutes fully inside this model's active time: the log is per model.
    if (deployed && Date.parse(deployed.deployment_timestamp) > t - 60_000) continue;
    if (t - START < 60_000) continue;
    const expected = logged
      .filter((e) => e.model_id === m.model_id && Date.parse(e.timestamp) > t - 60_000 && Date.parse(e.timestamp) <= t)
      .reduce((sum, e) => sum + e.count, 0);
    assert.equal(m.predictions_per_minute, expected, m.computed_at);
    checked += 1;
  }
  assert.ok(checked > 500);
});

test('demo-data prediction rate follows a daily-like wave', () => {
  const rates = Array.from({ length: 60 }, (_, i) => expectedRate(i * 10));
  assert.ok(Math.max(...rates) - Math.min(...rates) > 100);
  const observed = HOUR_RUN.events.filter((e) => e.type === 'model_metrics_update' && servedHere(e))
    .map((e) => e.predictions_per_minute);
  assert.ok(Math.max(...observed) > 140 && Math.min(...observed.slice(50)) < 70, 'observed rate swings too');
});

test('demo-data drift episode takes accuracy through 85% and below 80% and back', () => {
  const severity = Array.from({ length: DEMO_TIMELINE.cycle_seconds }, (_, s) => driftSeverity(s));
  assert.equal(severity[0], 0);
  assert.equal(Math.max(...severity), 1);
  assert.equal(severity.at(-1), 0);
  // The active model's live accuracy, once it rests on enough labels, crosses both thresholds.
  const accuracies = HOUR_RUN.events
    .filter((e) => e.type === 'model_metrics_update' && servedHere(e) && e.accuracy_window >= MODEL_METRICS.min_labelled)
    .map((e) => e.current_accuracy);
  const phases = [];
  for (const a of accuracies) {
    const phase = a >= 0.85 ? 'ok' : a < 0.8 ? 'critical' : null;
    if (phase && phase !== phases.at(-1)) phases.push(phase);
  }
  assert.ok(phases.join(',').includes('ok,critical,ok'), phases.join(','));
});

test('demo-data status changes active to degraded and back to active for the same model', () => {
  const changes = HOUR_RUN.events.filter((e) => e.type === 'model_status_change');
  const down = changes.find((e) => e.old_status === 'active' && e.new_status === 'degraded');
  assert.ok(down, 'degraded');
  assert.equal(down.new_health, 'critical');
  const up = changes.find((e) => e.model_id === down.model_id && e.old_status === 'degraded' && e.new_status === 'active'
    && Date.parse(e.timestamp) > Date.parse(down.timestamp));
  assert.ok(up, 'recovered');
  assert.ok(changes.some((e) => e.old_health === 'healthy' && e.new_health === 'warning'), 'passes warning');
});

test('demo-data status changes come exactly once per change', () => {
  const last = new Map();
  for (const e of HOUR_RUN.events.filter((x) => x.type === 'model_status_change')) {
    assert.ok(e.old_status !== e.new_status || e.old_health !== e.new_health);
    const previous = last.get(e.model_id);
    if (previous) {
      assert.equal(e.old_status, previous.new_status);
      assert.equal(e.old_health, previous.new_health);
    }
    last.set(e.model_id, e);
  }
});

test('demo-data retrains periodically, deploys the new version, and sometimes fails', () => {
  const { events } = HOUR_RUN;
  const deployed = events.filter((e) => e.type === 'model_deployed');
  assert.ok(deployed.length >= 3, 'one retrain per 20-minute cycle');
  const versions = deployed.map((e) => e.model_version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  for (const d of deployed) {
    const completed = events.find((e) => e.type === 'training_completed' && e.model_id === d.model_id);
    assert.ok(completed && Date.parse(completed.timestamp) <= Date.parse(d.timestamp));
  }
  assert.ok(events.some((e) => e.type === 'training_failed'));
});

test('demo-data api trains, reports progress through events, and deploys', async () => {
  const world = new DemoWorld({ seed: 1, start: START });
  const api = createDemoApi(world);
  world.advance(START + 5_000);
  const { job_id: jobId, model_id: modelId } = await api.trainModel({ name: 'my-model', dataset: 'digits', algorithm: 'sgd' });
  const model = await api.getModel(modelId);
  assert.equal(model.status, 'training');
  assert.deepEqual(sorted(Object.keys(await api.getTrainingJob(jobId))), sorted(JOB_FIELDS));
  const events = world.advance(START + 60_000);
  assert.ok(events.some((e) => e.type === 'training_progress' && e.model_id === modelId));
  const done = events.find((e) => e.type === 'training_completed' && e.model_id === modelId);
  assert.ok(done);
  assert.equal((await api.getModel(modelId)).status, 'ready');
  await api.deployModel(modelId);
  const after = world.drain();
  assert.ok(after.some((e) => e.type === 'model_deployed' && e.model_id === modelId));
  assert.equal((await api.getActiveStatus()).active_model.id, modelId);
});

// A small mixed table: one numeric column with a gap, one categorical, string labels, a row
// without a label.
const PENGUINS = [
  'bill_mm,island,species',
  ...Array.from({ length: 18 }, (_, i) => `${40 + (i % 6)},${['Biscoe', 'Dream', 'Torgersen'][i % 3]},${['Adelie', 'Gentoo', 'Chinstrap'][i % 3]}`),
  ',Dream,Gentoo',
  '44.5,Biscoe,',
].join('\n');

test('demo-data api keeps an uploaded CSV as a dataset, lists it after the built-in ones, and trains on it', async () => {
  const world = new DemoWorld({ seed: 1, start: START });
  const api = createDemoApi(world);
  const file = new File([PENGUINS], 'penguins.csv', { type: 'text/csv' });
  const dataset = await api.uploadDataset(file, 'species', '');
  assert.deepEqual(dataset, {
    name: 'penguins', source: 'upload', target: 'species', rows: 19, dropped_rows: 1,
    classes: ['Adelie', 'Chinstrap', 'Gentoo'],
    features: [
      { name: 'bill_mm', kind: 'numeric' },
      { name: 'island', kind: 'categorical', categories: ['Biscoe', 'Dream', 'Torgersen'] },
    ],
    created_at: new Date(START).toISOString(),
  });
  const listed = await api.listDatasets();
  assert.deepEqual(listed.map((d) => `${d.name}:${d.source}`),
    ['iris:builtin', 'wine:builtin', 'breast_cancer:builtin', 'digits:builtin', 'penguins:upload']);
  assert.deepEqual(listed[0].features.length, 4);

  const { model_id: modelId } = await api.trainModel({ name: 'penguins-lr', dataset: 'penguins', algorithm: 'logistic_regression' });
  const model = await api.getModel(modelId);
  assert.equal(model.dataset, 'penguins');
  assert.deepEqual(model.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(model.feature_names, ['bill_mm', 'island']);
  assert.equal(model.source, 'trained');
  const events = world.advance(START + 60_000);
  assert.ok(events.some((e) => e.type === 'training_progress' && e.model_id === modelId
    && e.details === 'loading penguins (19 rows, 2 features)'));
  assert.ok(events.some((e) => e.type === 'training_completed' && e.model_id === modelId));
});

test('demo-data api refuses an upload as the server does: no target column, a name in use, a bad name', async () => {
  const world = new DemoWorld({ seed: 1, start: START });
  const api = createDemoApi(world);
  const file = new File([PENGUINS], 'penguins.csv', { type: 'text/csv' });
  await assert.rejects(api.uploadDataset(file, 'label', ''), {
    status: 422, code: 'invalid_input',
    message: "no column named 'label' to use as the target; the columns are: 'bill_mm', 'island', 'species'",
  });
  await assert.rejects(api.uploadDataset(file, 'species', 'iris'), { status: 409, code: 'conflict' });
  await assert.rejects(api.uploadDataset(file, 'species', '-bad'), { status: 422, code: 'invalid_input' });
  await api.uploadDataset(file, 'species', 'birds');
  await assert.rejects(api.uploadDataset(file, 'species', 'birds'), {
    status: 409, message: "a dataset named 'birds' already exists: choose another name",
  });
  await assert.rejects(api.trainModel({ name: 'x', dataset: 'penguins', algorithm: 'sgd' }),
    { status: 422, message: 'dataset must be one of iris, wine, breast_cancer, digits, birds' });
});

test('demo-data api rejects bad requests with the server error shape', async () => {
  const world = new DemoWorld({ seed: 1, start: START });
  const api = createDemoApi(world);
  await assert.rejects(api.trainModel({ name: '', dataset: 'mnist', algorithm: 'svm' }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'validation_error');
    assert.match(error.message, /dataset must be one of iris, wine, breast_cancer, digits/);
    return true;
  });
  const failed = world.listModels().find((m) => m.status === 'failed');
  await assert.rejects(api.deployModel(failed.id), { status: 409, code: 'conflict' });
  await assert.rejects(api.deployModel('999'), { status: 404, code: 'not_found' });
});

test('demo-data api answers GET /api/monitoring/system in its documented shape', async () => {
  const world = new DemoWorld({ seed: 1, start: START });
  world.advance(START + 120_000);
  const body = await createDemoApi(world).getSystemMonitoring();
  assert.deepEqual(sorted(Object.keys(body)), ['active_model', 'real_time_metrics', 'system_status', 'timestamp']);
  assert.deepEqual(sorted(Object.keys(body.system_status)), sorted(MESSAGE_FIELDS.system_metrics));
  assert.deepEqual(sorted(Object.keys(body.real_time_metrics)),
    ['estimated_accuracy', 'live_accuracy', 'model_uptime', 'predictions_per_minute']);
  assert.match(body.real_time_metrics.model_uptime, /^(\d+h )?\d+m$/);
});

test('demo-data feed delivers the snapshot first, then catches up, through the handler table', () => {
  const clock = new FakeClock(START + 10 * 60_000);
  const world = new DemoWorld({ seed: 2, start: START });
  const seen = [];
  const handlers = Object.fromEntries(Object.keys(MESSAGE_FIELDS).map((type) => [type, (m) => seen.push(m)]));
  const feed = createDemoFeed({ world, handlers, now: clock.now, timers: clock.timers, tickMs: 250 });
  feed.start();
  assert.equal(seen[0].type, 'snapshot');
  assert.equal(seen[0].timestamp, new Date(START).toISOString());
  const caughtUp = seen.length;
  assert.ok(seen.filter((m) => m.type === 'model_metrics_update').length >= 119, 'ten minutes of history');
  clock.advance(5_000);
  assert.ok(seen.length > caughtUp, 'keeps going in real time');
  assert.equal(world.now, START + 10 * 60_000 + 5_000);
  feed.send({ type: 'ping' });
  clock.advance(500);
  assert.ok(seen.some((m) => m.type === 'pong'));
  feed.stop();
  const stopped = seen.length;
  clock.advance(60_000);
  assert.equal(seen.length, stopped);
});

test('demo-data pushes one metrics_history point per metrics step and answers the history of the last seconds', () => {
  const { world, events } = HOUR_RUN;
  const pushed = events.filter((e) => e.type === 'metrics_history');
  const updates = events.filter((e) => e.type === 'model_metrics_update');
  assert.equal(pushed.length, updates.length);
  const POINT_FIELDS = ['timestamp', 'predictions_per_minute', 'current_accuracy', 'accuracy_interval',
    'estimated_accuracy', 'latency_p95_ms', 'error_rate', 'drift_score', 'model_health'];
  pushed.forEach((message, i) => {
    assert.equal(message.step_seconds, 5);
    assert.deepEqual(sorted(Object.keys(message.point)), sorted(POINT_FIELDS));
    assert.equal(message.point.timestamp, updates[i].computed_at);
    assert.equal(message.point.current_accuracy, updates[i].current_accuracy);
    assert.equal(message.point.latency_p95_ms, updates[i].latency_ms.p95);
  });
  const active = world.activeId;
  const history = world.metricsHistory(active, 900);
  assert.equal(history.model_id, active);
  const expected = pushed.filter((m) => m.model_id === active && Date.parse(m.point.timestamp) > world.now - 900_000)
    .map((m) => m.point);
  assert.deepEqual(history.points, expected);
  assert.ok(history.points.length > 0 && history.points.length <= 180);
  assert.throws(() => world.metricsHistory('999', 900), { status: 404 });
});

test('demo-data opens with the active model\'s full 15 minutes of history, in the drift episode', async () => {
  const world = DemoWorld.opening({ seed: 42, nowMs: START });
  const events = world.advance(START);
  assert.equal(world.now, START);
  const history = await createDemoApi(world).getMetricsHistory(world.activeId, 900);
  assert.equal(history.points.length, 180, 'one point per 5 s of the last 15 minutes');
  const now = events.filter((e) => e.type === 'model_metrics_update' && e.model_id === world.activeId).at(-1);
  assert.ok(now.current_accuracy < MODEL_METRICS.accuracy_critical, `accuracy ${now.current_accuracy}`);
  assert.ok(now.estimate_gap > 0.05, `the estimate stays high: gap ${now.estimate_gap}`);
  assert.ok(now.drift.features.some((f) => f.level === 'significant'));
  assert.ok(now.drift.features.some((f) => f.level === 'none'));
});

test('demo-data live numbers agree with their windows (brute-force oracle)', () => {
  let checked = 0;
  for (const m of HOUR_RUN.events.filter((e) => e.type === 'model_metrics_update')) {
    if (m.accuracy_window === 0) {
      for (const key of ['accuracy_interval', 'estimate_gap', 'confusion', 'label_delay_seconds']) assert.equal(m[key], null, key);
      continue;
    }
    const { low, high } = m.accuracy_interval;
    assert.ok(low <= m.current_accuracy && m.current_accuracy <= high);
    const { classes, matrix } = m.confusion;
    assert.deepEqual(classes, [0, 1, 2]);
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    const diagonal = matrix.reduce((sum, row, i) => sum + row[i], 0);
    assert.equal(total, m.accuracy_window);
    assert.ok(Math.abs(diagonal / total - m.current_accuracy) < 1e-12);
    // Each model's traffic follows its own timeline (the one served elsewhere has its own).
    const { timeline } = HOUR_RUN.world.traffic.get(m.model_id);
    assert.ok(m.label_coverage > 0 && m.label_coverage <= timeline.label_fraction + 0.1);
    const [minDelay, maxDelay] = timeline.label_delay_seconds;
    const { p50, p95 } = m.label_delay_seconds;
    assert.ok(minDelay <= p50 && p50 <= p95 && p95 <= maxDelay);
    assert.ok(Math.abs(m.estimate_gap) < 1);
    if (m.drift) {
      assert.equal(m.drift_score, m.drift.score);
      assert.deepEqual(m.drift.features.map((f) => f.name), HOUR_RUN.world.models.get(m.model_id).feature_names);
    } else {
      assert.equal(m.drift_score, null);
    }
    checked += 1;
  }
  assert.ok(checked > 600);
});

test('demo-data drift episode shifts some features to significant and the estimate away from the labels', () => {
  const updates = HOUR_RUN.events.filter((e) => e.type === 'model_metrics_update' && servedHere(e) && e.drift);
  const inEpisode = (m) => driftSeverity((Date.parse(m.computed_at) - START) / 1000) === 1;
  const worst = updates.filter(inEpisode);
  const calm = updates.filter((m) => driftSeverity((Date.parse(m.computed_at) - START) / 1000 - 180) === 0
    && driftSeverity((Date.parse(m.computed_at) - START) / 1000) === 0);
  assert.ok(worst.length > 50 && calm.length > 300);
  const levels = (m) => m.drift.features.map((f) => f.level);
  // The drift window (300 predictions, under three minutes) lags the episode's first moments.
  assert.ok(worst.filter((m) => levels(m).includes('significant')).length > 0.8 * worst.length);
  assert.ok(calm.filter((m) => levels(m).every((level) => level === 'none')).length > 0.9 * calm.length);
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  assert.ok(median(worst.map((m) => m.estimate_gap)) > 0.1, 'overconfident under drift');
  assert.ok(Math.abs(median(calm.map((m) => m.estimate_gap))) < 0.03, 'close to the labels otherwise');
});

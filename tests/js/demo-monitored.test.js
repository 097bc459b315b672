import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DemoWorld, createDemoApi } from '../../src/modelbeacon/web/js/demo-data.js';
import { effectiveStatus } from '../../src/modelbeacon/web/js/demo-judgement.js';
import { DEMO_MONITORED_TIMELINE } from '../../src/modelbeacon/web/js/demo-timeline.js';
import { defaultChoice, isMonitored, pickerGroups } from '../../src/modelbeacon/web/js/model-choice.js';

const START = Date.UTC(2026, 10, 24, 6, 0, 0);
const HOUR = 3_600_000;

const world = new DemoWorld({ seed: 5, start: START });
const snapshot = world.snapshot();
const events = world.advance(START + HOUR / 2);
const monitored = world.listModels().find((m) => m.source === 'registered');
const of = (type, id) => events.filter((e) => e.type === type && e.model_id === id);

test('demo-data monitors one model served elsewhere beside the deployed one', () => {
  assert.ok(monitored, 'a registered model');
  assert.deepEqual([monitored.runtime, monitored.algorithm, monitored.last_trained_at, monitored.deployed_at],
    ['external', 'external', null, null]);
  const { deployed, monitored: listed } = pickerGroups(snapshot.models);
  assert.deepEqual(deployed.map((m) => m.id), [snapshot.active_model.id]);
  assert.deepEqual(listed.map((m) => m.id), [monitored.id]);
  assert.equal(defaultChoice(snapshot.models), snapshot.active_model.id, 'the page opens on the deployed model');
});

test('demo-data pushes the monitored model\'s traffic, numbers and history, marked by its id', () => {
  const logged = of('prediction_logged', monitored.id);
  const updates = of('model_metrics_update', monitored.id);
  assert.ok(logged.length > 100 && updates.length > 300);
  assert.equal(of('metrics_history', monitored.id).length, updates.length);
  assert.equal(of('model_status_realtime', monitored.id).length, 0, 'no uptime here: it is served elsewhere');
  for (const m of updates) {
    assert.equal(m.error_rate, null, 'no calls here, no error rate');
    assert.equal(m.uptime_seconds, null);
    assert.ok(['monitored', 'degraded'].includes(m.status), m.status);
    // The caller's measured latencies: a network hop, tens of milliseconds.
    if (m.latency_ms.p50 !== null) assert.ok(m.latency_ms.p50 > 5 && m.latency_ms.p50 < 40, String(m.latency_ms.p50));
  }
  // Its own labels: later than the served model's.
  const delays = updates.filter((m) => m.label_delay_seconds).map((m) => m.label_delay_seconds.p50);
  assert.ok(Math.min(...delays) >= DEMO_MONITORED_TIMELINE.label_delay_seconds[0]);
  // Its rate is its own, not the served model's.
  const rate = (here) => Math.max(...events
    .filter((e) => e.type === 'model_metrics_update' && (e.model_id !== monitored.id) === here)
    .map((e) => e.predictions_per_minute));
  assert.ok(rate(false) < rate(true));
});

test('demo-data status changes of the monitored model go monitored → degraded → monitored, never active', () => {
  const changes = events.filter((e) => e.type === 'model_status_change' && e.model_id === monitored.id);
  for (const change of changes) {
    assert.ok(!['active', 'inactive'].includes(change.new_status), change.new_status);
    if (change.new_status === 'degraded') assert.equal(change.new_health, 'critical');
  }
  assert.ok(isMonitored(world.models.get(monitored.id)));
});

test('demo-data api answers the monitored model\'s realtime, history and log', async () => {
  const api = createDemoApi(world);
  const live = await api.getRealtimeMetrics(monitored.id);
  assert.equal(live.model_id, monitored.id);
  assert.equal(live.error_rate, null);
  assert.equal(live.total_predictions, world.models.get(monitored.id).total_predictions);
  const history = await api.getMetricsHistory(monitored.id, 900);
  assert.equal(history.model_id, monitored.id);
  assert.ok(history.points.length >= 170);
  assert.ok(history.points.every((p) => p.error_rate === null));
  const log = await api.getPredictions(monitored.id, 20);
  assert.equal(log.predictions.length, 20);
  assert.ok(log.predictions.every((p) => p.prediction_id.startsWith(`${monitored.id}-`)));
  // It cannot be deployed here: it has no artifact.
  await assert.rejects(api.deployModel(monitored.id), { status: 409 });
});

test('demo-data adding the monitored model left the deployed model\'s story unchanged', () => {
  // The monitored model draws from its own random source: a world without it tells the served
  // model's story, event for event, as the world with it does.
  const served = (w) => w.advance(START + 10 * 60_000)
    .filter((e) => e.model_id === w.activeId && e.type !== 'model_status_change');
  const withIt = new DemoWorld({ seed: 9, start: START });
  const without = new DemoWorld({ seed: 9, start: START });
  const id = without.listModels().find((m) => m.source === 'registered').id;
  without.models.delete(id);
  without.traffic.delete(id);
  assert.deepEqual(served(without), served(withIt));
});

test('demo-judgement degrades a monitored model while critical, as the server does', () => {
  assert.equal(effectiveStatus('monitored', 'critical'), 'degraded');
  assert.equal(effectiveStatus('monitored', 'warning'), 'monitored');
  assert.equal(effectiveStatus('active', 'critical'), 'degraded');
  assert.equal(effectiveStatus('inactive', 'critical'), 'inactive');
});

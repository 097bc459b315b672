import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CLIENT, statusLevel } from '../../src/modelbeacon/web/js/config.js';
import {
  choiceLabel,
  concernsModel,
  defaultChoice,
  isDeployed,
  isMonitored,
  isNotOlder,
  isServedElsewhere,
  isWatchable,
  pickerGroups,
  requestedChoice,
  resolveChoice,
  searchWithChoice,
} from '../../src/modelbeacon/web/js/model-choice.js';

// Models as GET /api/models lists them (the fields the picker reads).
const trained = (id, status, extra = {}) => ({
  id, name: `m${id}`, version: 1, status, source: 'trained', runtime: 'sklearn', created_at: `2026-12-0${id}T00:00:00Z`, ...extra,
});
const registered = (id, status, extra = {}) => ({
  id, name: `ext${id}`, version: 1, status, source: 'registered', runtime: 'external', created_at: `2026-12-0${id}T00:00:00Z`, ...extra,
});

const ids = (models) => models.map((m) => m.id);

test('model-choice lists deployed and monitored models, nothing else', () => {
  const listed = ['active', 'degraded'];
  const unlisted = ['ready', 'inactive', 'training', 'failed'];
  for (const status of listed) assert.ok(isWatchable(trained('1', status)), status);
  for (const status of unlisted) assert.ok(!isWatchable(trained('1', status)), status);
  // An imported model is served here too.
  assert.ok(isDeployed(trained('1', 'active', { source: 'imported', runtime: 'onnxruntime' })));
  assert.ok(isMonitored(registered('2', 'monitored')));
  // A registered model turns degraded while critical: still monitored, still listed.
  assert.ok(isMonitored(registered('2', 'degraded')));
  assert.ok(!isDeployed(registered('2', 'degraded')));
  assert.ok(!isWatchable(null) && !isWatchable(undefined));
});

test('model-choice tells a model served elsewhere by its source, else by its status', () => {
  assert.ok(isServedElsewhere(registered('1', 'monitored')));
  assert.ok(isServedElsewhere(registered('1', 'degraded')));
  assert.ok(!isServedElsewhere(trained('1', 'degraded')));
  // A model known only from a model_deployed message has no source yet.
  assert.ok(!isServedElsewhere({ id: '1', status: 'active' }));
  assert.ok(isServedElsewhere({ id: '1', status: 'monitored' }));
  assert.ok(!isServedElsewhere(null));
});

test('model-choice groups the picker: the deployed model, then the monitored ones by name', () => {
  const models = [
    trained('1', 'inactive'),
    registered('2', 'monitored', { name: 'zeta' }),
    trained('3', 'active'),
    registered('4', 'degraded', { name: 'alpha' }),
    trained('5', 'ready'),
    registered('6', 'monitored', { name: 'alpha', version: 2 }),
  ];
  const { deployed, monitored } = pickerGroups(models);
  assert.deepEqual(ids(deployed), ['3']);
  assert.deepEqual(ids(monitored), ['6', '4', '2'], 'by name, the newest version first');
  // Any iterable, e.g. a Map's values.
  assert.deepEqual(ids(pickerGroups(new Map(models.map((m) => [m.id, m])).values()).monitored), ['6', '4', '2']);
  // While a deploy is under way two may look deployed: the newest first.
  assert.deepEqual(ids(pickerGroups([trained('1', 'active'), trained('3', 'active')]).deployed), ['3', '1']);
});

test('model-choice opens on the deployed model, else the first monitored one, else nothing', () => {
  assert.equal(defaultChoice([registered('2', 'monitored'), trained('3', 'degraded')]), '3');
  assert.equal(defaultChoice([trained('1', 'ready'), registered('5', 'monitored', { name: 'b' }),
    registered('4', 'monitored', { name: 'a' })]), '4');
  assert.equal(defaultChoice([trained('1', 'ready')]), null);
  assert.equal(defaultChoice([]), null);
  // Ids are strings on the page, whatever the server chose.
  assert.equal(defaultChoice([{ ...trained('1', 'active'), id: 7 }]), '7');
});

test('model-choice keeps a choice while it is listed and falls back to the default otherwise', () => {
  const models = [trained('1', 'active'), registered('2', 'monitored'), trained('3', 'inactive')];
  assert.equal(resolveChoice(models, '2'), '2');
  assert.equal(resolveChoice(models, 2), '2');
  assert.equal(resolveChoice(models, null), '1');
  assert.equal(resolveChoice(models, '3'), '1', 'a retired model is not listed');
  assert.equal(resolveChoice(models, '99'), '1', 'an unknown id (an old link)');
  assert.equal(resolveChoice([], '2'), null);
});

test('model-choice follows a redeploy unless a monitored model was chosen', () => {
  // The person chose the deployed model 1; model 4 replaces it.
  const before = [trained('1', 'active'), registered('2', 'monitored')];
  assert.equal(resolveChoice(before, '1'), '1');
  const during = [trained('1', 'inactive'), registered('2', 'monitored')];
  const after = [trained('1', 'inactive'), registered('2', 'monitored'), trained('4', 'active')];
  assert.equal(resolveChoice(after, '1'), '4');
  // Between the old model's retirement and the new one's deployment nothing is deployed: the
  // page shows the monitored model for a moment, then follows the new deployment.
  assert.equal(resolveChoice(during, null), '2');
  assert.equal(resolveChoice(after, null), '4');
  // A chosen monitored model stays whatever is deployed.
  assert.equal(resolveChoice(after, '2'), '2');
});

test('model-choice filters events by the model shown', () => {
  assert.ok(concernsModel({ type: 'model_metrics_update', model_id: '3' }, '3'));
  assert.ok(concernsModel({ model_id: 3 }, '3'), 'ids compare as strings');
  assert.ok(concernsModel({ model_id: '3' }, 3));
  assert.ok(!concernsModel({ model_id: '4' }, '3'));
  assert.ok(!concernsModel({ model_id: '3' }, null), 'nothing shown: nothing concerns it');
  assert.ok(!concernsModel({ type: 'system_metrics' }, '3'));
  assert.ok(!concernsModel(null, '3'));
});

test('model-choice reads the choice from the URL first, then from storage', () => {
  assert.equal(CLIENT.choice_url_param, 'model');
  assert.equal(requestedChoice('?model=7', '2'), '7');
  assert.equal(requestedChoice('?demo=1&model=abc%2F1', null), 'abc/1');
  assert.equal(requestedChoice('?demo=1', '2'), '2');
  assert.equal(requestedChoice('', null), null);
  assert.equal(requestedChoice('?model=', '2'), '2', 'an empty parameter names nothing');
  assert.equal(requestedChoice(undefined, undefined), null);
});

test('model-choice writes the choice into the URL and keeps the other parameters', () => {
  assert.equal(searchWithChoice('', '7'), '?model=7');
  assert.equal(searchWithChoice('?demo=1&seed=7', '5'), '?demo=1&seed=7&model=5');
  assert.equal(searchWithChoice('?model=1&demo=1', '5'), '?model=5&demo=1');
  assert.equal(searchWithChoice('?model=1', null), '');
  assert.equal(searchWithChoice('?demo=1&model=1', null), '?demo=1');
  assert.equal(requestedChoice(searchWithChoice('?demo=1', 'a b&c'), null), 'a b&c', 'round trip');
});

test('model-choice never lets older numbers replace newer ones', () => {
  assert.ok(isNotOlder(2000, 1000));
  assert.ok(isNotOlder(1000, 1000), 'the same computation again');
  assert.ok(!isNotOlder(999, 1000));
  assert.ok(isNotOlder(null, 1000), 'without a time: taken');
  assert.ok(isNotOlder(1000, null), 'nothing shown yet');
});

test('model-choice labels an entry with its name, version and status', () => {
  assert.equal(choiceLabel(trained('1', 'active', { name: 'iris-lr', version: 3 })), 'iris-lr v3 · active');
  assert.equal(choiceLabel(registered('2', 'degraded', { name: 'fraud' })), 'fraud v1 · degraded');
  assert.equal(choiceLabel({ id: '9' }), 'model 9 · unknown');
});

test('config colours a monitored model like a served one, and degraded red', () => {
  assert.equal(statusLevel('monitored'), 'good');
  assert.equal(statusLevel('degraded'), 'bad');
});

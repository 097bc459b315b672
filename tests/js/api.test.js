import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, createApi } from '../../src/modelbeacon/web/js/api.js';

function fakeFetch(respond) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const { status = 200, body, statusText = '' } = await respond(url, init);
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText,
      json: async () => (typeof body === 'string' ? JSON.parse(body) : body),
    };
  };
  return { fetch, calls };
}

test('api posts a train request as JSON and returns the job', async () => {
  const { fetch, calls } = fakeFetch(() => ({ status: 202, body: { job_id: '7', model_id: '3' } }));
  const api = createApi({ fetch });
  const spec = { name: 'iris-lr', dataset: 'iris', algorithm: 'logistic_regression' };
  assert.deepEqual(await api.trainModel(spec), { job_id: '7', model_id: '3' });
  assert.equal(calls[0].url, '/api/models/train');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(calls[0].init.body), spec);
});

test('api builds the documented paths and escapes ids', async () => {
  const { fetch, calls } = fakeFetch(() => ({ body: {} }));
  const api = createApi({ fetch, base: 'http://h' });
  await api.getConfig();
  await api.listModels();
  await api.getModel('a/b');
  await api.getActiveStatus();
  await api.getRealtimeMetrics(3);
  await api.getMetricsHistory(3, 900);
  await api.getSystemMonitoring();
  await api.getTrainingJob('7');
  await api.deployModel('3');
  assert.deepEqual(calls.map((c) => `${c.init.method} ${c.url}`), [
    'GET http://h/api/config',
    'GET http://h/api/models',
    'GET http://h/api/models/a%2Fb',
    'GET http://h/api/models/active/status',
    'GET http://h/api/models/3/metrics/realtime',
    'GET http://h/api/models/3/metrics/history?seconds=900',
    'GET http://h/api/monitoring/system',
    'GET http://h/api/training/7',
    'POST http://h/api/models/3/deploy',
  ]);
  assert.equal(calls[8].init.body, undefined);
});

test('api turns the server error body into an ApiError', async () => {
  const { fetch } = fakeFetch(() => ({
    status: 409,
    body: { error: { code: 'conflict', message: 'model 3 is training', details: { status: 'training' } } },
  }));
  await assert.rejects(createApi({ fetch }).deployModel('3'), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 409);
    assert.equal(error.code, 'conflict');
    assert.equal(error.message, 'model 3 is training');
    assert.deepEqual(error.details, { status: 'training' });
    return true;
  });
});

test('api reports a non-JSON error by its status line', async () => {
  const { fetch } = fakeFetch(() => ({ status: 502, statusText: 'Bad Gateway', body: '<html>' }));
  await assert.rejects(createApi({ fetch }).listModels(), { status: 502, code: 'http_error', message: 'HTTP 502 Bad Gateway' });
});

test('api reports an unreachable server as a network error', async () => {
  const fetch = async () => {
    throw new TypeError('Failed to fetch');
  };
  await assert.rejects(createApi({ fetch }).getSystemMonitoring(), {
    status: 0,
    code: 'network_error',
    message: 'cannot reach the server (Failed to fetch)',
  });
});

test('api reports a history endpoint the server lacks as a 404 ApiError, for the caller to start empty', async () => {
  const { fetch } = fakeFetch(() => ({ status: 404, body: { detail: 'Not Found' } }));
  await assert.rejects(createApi({ fetch }).getMetricsHistory('3', 900), { status: 404, code: 'http_error' });
});

test('api lists datasets and uploads a CSV as multipart form data', async () => {
  const dataset = { name: 'penguins', source: 'upload', rows: 342 };
  const { fetch, calls } = fakeFetch((url) => (url.endsWith('/api/datasets') && calls.length === 1
    ? { body: [] } : { status: 201, body: dataset }));
  const api = createApi({ fetch });
  assert.deepEqual(await api.listDatasets(), []);
  const file = new File(['a,b\n1,x\n'], 'penguins.csv', { type: 'text/csv' });
  assert.deepEqual(await api.uploadDataset(file, 'species', 'birds'), dataset);
  assert.deepEqual(calls.map((c) => `${c.init.method} ${c.url}`), ['GET /api/datasets', 'POST /api/datasets']);
  const { init } = calls[1];
  // fetch writes the multipart content type with its boundary; a hand-set one would lack it.
  assert.equal(init.headers['Content-Type'], undefined);
  assert.ok(init.body instanceof FormData);
  assert.equal(init.body.get('target'), 'species');
  assert.equal(init.body.get('name'), 'birds');
  assert.equal(init.body.get('file').name, 'penguins.csv');
  assert.equal(await init.body.get('file').text(), 'a,b\n1,x\n');
});

test('api leaves the dataset name out of an upload when none is given', async () => {
  const { fetch, calls } = fakeFetch(() => ({ status: 201, body: {} }));
  await createApi({ fetch }).uploadDataset(new File(['x'], 'p.csv'), 'species', '');
  assert.equal(calls[0].init.body.has('name'), false);
});

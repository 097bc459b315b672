/**
 * REST client for the modelbeacon API (docs/PAYLOADS.md). Never touches the DOM.
 *
 * Every method resolves with the parsed JSON body or rejects with an ApiError carrying the
 * server's `{"error": {"code", "message", "details"}}` fields, so views can show the message
 * a person can act on. `fetch` is injectable for tests.
 */

export class ApiError extends Error {
  constructor({ status, code, message, details }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }
}

async function readError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the status line below.
  }
  const error = body && typeof body === 'object' ? body.error : null;
  if (error && typeof error === 'object' && typeof error.message === 'string') {
    return new ApiError({
      status: response.status,
      code: error.code ?? 'error',
      message: error.message,
      details: error.details,
    });
  }
  return new ApiError({
    status: response.status,
    code: 'http_error',
    message: `HTTP ${response.status} ${response.statusText ?? ''}`.trim(),
  });
}

/**
 * @param {{base?: string, fetch?: typeof fetch}} options  `base` is prefixed to every path
 *   ('' = same origin).
 */
export function createApi({ base = '', fetch: fetchImpl = globalThis.fetch?.bind(globalThis) } = {}) {
  /** `body`: an object sent as JSON, or FormData sent as multipart (fetch sets its boundary). */
  async function request(method, path, body) {
    const init = { method, headers: { Accept: 'application/json' } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetchImpl(`${base}${path}`, init);
    } catch (cause) {
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: `cannot reach the server (${cause?.message ?? cause})`,
      });
    }
    if (!response.ok) throw await readError(response);
    return response.status === 204 ? null : response.json();
  }

  const id = (value) => encodeURIComponent(String(value));

  return {
    getConfig: () => request('GET', '/api/config'),
    listModels: () => request('GET', '/api/models'),
    getModel: (modelId) => request('GET', `/api/models/${id(modelId)}`),
    getActiveStatus: () => request('GET', '/api/models/active/status'),
    getRealtimeMetrics: (modelId) => request('GET', `/api/models/${id(modelId)}/metrics/realtime`),
    /** `{model_id, step_seconds, points}`, oldest first, over the last `seconds`. */
    getMetricsHistory: (modelId, seconds) =>
      request('GET', `/api/models/${id(modelId)}/metrics/history?seconds=${encodeURIComponent(seconds)}`),
    /** `{model_id, predictions}`, newest first (the prediction log). */
    getPredictions: (modelId, limit) =>
      request('GET', `/api/models/${id(modelId)}/predictions?limit=${encodeURIComponent(limit)}`),
    getSystemMonitoring: () => request('GET', '/api/monitoring/system'),
    getTrainingJob: (jobId) => request('GET', `/api/training/${id(jobId)}`),
    /** The built-in datasets, then uploads: `[{name, source, rows, target, classes, features, …}]`. */
    listDatasets: () => request('GET', '/api/datasets'),
    /**
     * Upload a CSV `file` (a File or Blob) as a dataset labelled by column `target`, named
     * `name` (optional: the server derives one from the file name) → the dataset (201).
     */
    uploadDataset: (file, target, name) => {
      const form = new FormData();
      form.append('file', file, file.name ?? 'upload.csv');
      form.append('target', target);
      if (name) form.append('name', name);
      return request('POST', '/api/datasets', form);
    },
    /** `{name, dataset, algorithm, params?}` → `{job_id, model_id}` (202). */
    trainModel: (spec) => request('POST', '/api/models/train', spec),
    deployModel: (modelId) => request('POST', `/api/models/${id(modelId)}/deploy`),
  };
}

/**
 * Demo mode's transport: the REST client of api.js and the socket's message stream, both
 * answered by a DemoWorld (demo-data.js) instead of a server. DOM-free.
 */

import { ApiError } from './api.js';
import { CLIENT } from './config.js';
import { dispatchMessage } from './ws-client.js';

/** The REST client of api.js, answered by a DemoWorld instead of a server. */
export function createDemoApi(world) {
  const answer = (fn) => async (...args) => structuredClone(fn(...args));
  const model = (id) => {
    const found = world.models.get(String(id));
    if (!found) throw new ApiError({ status: 404, code: 'not_found', message: `model ${id} does not exist` });
    return found;
  };
  return {
    getConfig: answer(() => world.config),
    listModels: answer(() => world.listModels()),
    getModel: answer((id) => model(id)),
    getActiveStatus: answer(() => {
      const active = world.models.get(world.activeId) ?? null;
      const live = active ? world.liveMetrics(active) : null;
      return {
        active_model: active, status: active?.status ?? null, health: active?.health ?? null,
        uptime_seconds: live?.uptime_seconds ?? null,
      };
    }),
    getRealtimeMetrics: answer((id) => world.liveMetrics(model(id))),
    getMetricsHistory: answer((id, seconds) => world.metricsHistory(id, seconds)),
    getPredictions: answer((id, limit) => world.recentPredictions(id, limit)),
    getSystemMonitoring: answer(() => world.systemMonitoring()),
    getTrainingJob: answer((jobId) => {
      const job = world.jobs.get(String(jobId));
      if (!job) throw new ApiError({ status: 404, code: 'not_found', message: `training job ${jobId} does not exist` });
      return job.jobFields();
    }),
    listDatasets: answer(() => world.listDatasets()),
    /** Reads the chosen File in the browser: the demo keeps what the server would have kept. */
    uploadDataset: async (file, target, name) => structuredClone(world.uploadDataset({
      text: await file.text(), filename: file.name, target, name,
    })),
    trainModel: answer((spec) => world.train(spec)),
    deployModel: answer((id) => ({ ...world.deployModel(id) })),
  };
}

/**
 * Drive `handlers` from `world` in (scaled) real time: the world's snapshot first, then every
 * message the world produces as its clock catches up with `now()`. Messages go through JSON like socket frames, so handlers never share
 * objects with the world. Returns `{start, stop, send}` like the ws-client.
 */
export function createDemoFeed({
  world,
  handlers,
  now = () => Date.now(),
  speed = 1,
  tickMs = CLIENT.demo_tick_ms,
  timers = { setInterval: globalThis.setInterval.bind(globalThis), clearInterval: globalThis.clearInterval.bind(globalThis) },
  onError,
}) {
  // Simulated time runs `speed` times faster than `now()` from the moment the feed is made; a
  // world whose start lies in the past is fast-forwarded by the first pump (charts get history).
  const origin = now();
  let timer = null;
  const deliver = (message) => dispatchMessage(handlers, JSON.parse(JSON.stringify(message)), onError);
  const pump = () => {
    for (const message of world.advance(origin + (now() - origin) * speed)) deliver(message);
  };
  return {
    start() {
      deliver(world.snapshot());
      pump();
      timer = timers.setInterval(pump, tickMs);
    },
    stop() {
      if (timer !== null) timers.clearInterval(timer);
      timer = null;
    },
    pump,
    send(message) {
      world.clientMessage(message);
      return true;
    },
  };
}

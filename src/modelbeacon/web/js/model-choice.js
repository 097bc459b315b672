/**
 * Which model the page follows (DESIGN.md sections 6 and 9): the picker lists every model
 * deployed here (status `active`, or `degraded` while critical) and every model served
 * elsewhere that is monitored (status `monitored`, or `degraded` with source `registered`);
 * the page opens on the person's last choice while it is still listed, else on the deployed
 * model, else on the first monitored one. Events name their model; only those of the model
 * shown may change its numbers.
 *
 * Pure and DOM-free: main.js reads the URL and storage, dashboard.js and model-picker.js show.
 */

import { CLIENT } from './config.js';

const MODEL_PARAM = CLIENT.choice_url_param;

const DEPLOYED_STATUSES = Object.freeze(['active', 'degraded']);
const MONITORED_STATUSES = Object.freeze(['monitored', 'degraded']);

const idOf = (model) => (model?.id == null ? null : String(model.id));

/** Whether `model` is served by another stack and only monitored here (`POST /api/models/register`). */
export function isServedElsewhere(model) {
  if (!model) return false;
  if (model.source != null) return model.source === 'registered';
  // A model object without its source (a `model_deployed` message) is judged by its status.
  return model.status === 'monitored';
}

/** Deployed here: served by this server's predict routes. */
export function isDeployed(model) {
  return Boolean(model) && !isServedElsewhere(model) && DEPLOYED_STATUSES.includes(model.status);
}

/** Served elsewhere and monitored. */
export function isMonitored(model) {
  return isServedElsewhere(model) && MONITORED_STATUSES.includes(model.status);
}

/** Whether the picker lists `model`. */
export function isWatchable(model) {
  return isDeployed(model) || isMonitored(model);
}

const byCreation = (a, b) => String(b.created_at ?? '').localeCompare(String(a.created_at ?? ''));
const byName = (a, b) => String(a.name ?? '').localeCompare(String(b.name ?? ''))
  || Number(b.version ?? 0) - Number(a.version ?? 0)
  || String(a.id).localeCompare(String(b.id));

/**
 * The picker's entries of `models` (any iterable of model objects): `{deployed, monitored}`,
 * the deployed newest first (there is one at a time, but a status change may arrive before the
 * replaced model's), the monitored by name, newest version first.
 */
export function pickerGroups(models) {
  const list = [...models].filter(Boolean);
  return {
    deployed: list.filter(isDeployed).sort(byCreation),
    monitored: list.filter(isMonitored).sort(byName),
  };
}

/** The id the page opens on without a choice: the deployed model, else the first monitored one. */
export function defaultChoice(models) {
  const { deployed, monitored } = pickerGroups(models);
  return idOf(deployed[0] ?? monitored[0]);
}

/**
 * The model to show: `preferredId` (the person's choice) while the picker lists it, else the
 * default; null when nothing is listed. Applied after every change of the models (a snapshot, a
 * deploy, a status change, a refreshed list): a page that follows the default (or a deployed
 * model that has since been replaced) follows the newly deployed model, and a chosen monitored
 * model stays shown whatever is deployed.
 */
export function resolveChoice(models, preferredId) {
  const list = [...models];
  if (preferredId != null) {
    const preferred = list.find((model) => idOf(model) === String(preferredId));
    if (isWatchable(preferred)) return idOf(preferred);
  }
  return defaultChoice(list);
}

/** Whether `message` (any event with a `model_id`) is about the model shown. */
export function concernsModel(message, shownId) {
  return shownId != null && message?.model_id != null && String(message.model_id) === String(shownId);
}

/**
 * The choice a page opens with: the URL's `?model=` first (a link names what it shows), else
 * what this browser stored last; null when neither names one.
 * @param {string} search  `location.search`
 * @param {string|null} stored  the stored id, if any
 */
export function requestedChoice(search, stored = null) {
  const fromUrl = new URLSearchParams(search ?? '').get(MODEL_PARAM);
  if (fromUrl) return fromUrl;
  return stored ? String(stored) : null;
}

/** `search` with `?model=` set to `modelId` (removed for null), other parameters kept. */
export function searchWithChoice(search, modelId) {
  const params = new URLSearchParams(search ?? '');
  if (modelId == null) params.delete(MODEL_PARAM);
  else params.set(MODEL_PARAM, String(modelId));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Whether a live metrics object computed at `computedAt` (epoch ms, or null) is not older than
 * the last one shown (`lastMs`): a REST answer that was on its way while the socket pushed a
 * newer update must not put older numbers back.
 */
export function isNotOlder(computedAt, lastMs) {
  return computedAt === null || lastMs === null || computedAt >= lastMs;
}

/** The picker's text for `model`: "iris-lr v3 · active". */
export function choiceLabel(model) {
  const name = model?.name ?? `model ${idOf(model)}`;
  const version = model?.version != null ? ` v${model.version}` : '';
  return `${name}${version} · ${model?.status ?? 'unknown'}`;
}

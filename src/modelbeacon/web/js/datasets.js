/**
 * Datasets as the train and upload forms show them (GET /api/datasets items:
 * `{name, source, rows, target, classes, features, dropped_rows, created_at}`): the option
 * labels, the order, and the sentence an upload answers with. DOM-free.
 */

import { DATASETS, DATASET_LABELS } from './config.js';

const plural = (count, word, words = `${word}s`) => `${count} ${count === 1 ? word : words}`;

/** The built-in datasets by name only: what the train form offers when the server cannot say. */
export const BUILTIN_DATASETS = Object.freeze(DATASETS.map((name) => Object.freeze({ name, source: 'builtin' })));

/** "Iris (150 rows)", "penguins (uploaded, 342 rows)"; without a row count, the name alone. */
export function datasetLabel(dataset) {
  const uploaded = dataset.source === 'upload';
  const name = uploaded ? dataset.name : DATASET_LABELS[dataset.name] ?? dataset.name;
  const facts = [uploaded ? 'uploaded' : null, Number.isInteger(dataset.rows) ? plural(dataset.rows, 'row') : null]
    .filter(Boolean);
  return facts.length ? `${name} (${facts.join(', ')})` : name;
}

/** The built-in datasets first, then uploads, each group in the order given. */
export function orderDatasets(datasets) {
  const builtin = datasets.filter((d) => d.source !== 'upload');
  return [...builtin, ...datasets.filter((d) => d.source === 'upload')];
}

/**
 * What an upload kept: "penguins: 342 rows, 3 classes, 6 features (2 categorical)", and the
 * rows dropped for want of a label when there were any.
 */
export function uploadSummary(dataset) {
  const features = dataset.features ?? [];
  const categorical = features.filter((f) => f.kind === 'categorical').length;
  const kinds = categorical ? `${categorical} categorical` : 'all numeric';
  const classes = plural(dataset.classes?.length ?? 0, 'class', 'classes');
  const kept = `${dataset.name}: ${plural(dataset.rows, 'row')}, ${classes}, ${plural(features.length, 'feature')} (${kinds})`;
  const dropped = dataset.dropped_rows ?? 0;
  return dropped ? `${kept}; ${plural(dropped, 'row')} without a label (${dataset.target}) dropped` : kept;
}

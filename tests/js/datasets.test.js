import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DATASETS } from '../../src/modelbeacon/web/js/config.js';
import {
  BUILTIN_DATASETS, datasetLabel, orderDatasets, uploadSummary,
} from '../../src/modelbeacon/web/js/datasets.js';

const PENGUINS = {
  name: 'penguins', source: 'upload', rows: 342, target: 'species', classes: ['Adelie', 'Chinstrap', 'Gentoo'],
  features: [
    { name: 'bill_length_mm', kind: 'numeric' }, { name: 'bill_depth_mm', kind: 'numeric' },
    { name: 'flipper_length_mm', kind: 'numeric' }, { name: 'body_mass_g', kind: 'numeric' },
    { name: 'island', kind: 'categorical', categories: ['Biscoe', 'Dream', 'Torgersen'] },
    { name: 'sex', kind: 'categorical', categories: ['female', 'male'] },
  ],
  dropped_rows: 0, created_at: '2026-11-24T06:00:00Z',
};

test('datasets label an upload with its source and rows, a built-in one by its display name', () => {
  assert.equal(datasetLabel(PENGUINS), 'penguins (uploaded, 342 rows)');
  assert.equal(datasetLabel({ name: 'breast_cancer', source: 'builtin', rows: 569 }), 'Breast cancer (569 rows)');
  assert.equal(datasetLabel({ name: 'tiny', source: 'upload', rows: 1 }), 'tiny (uploaded, 1 row)');
  // The fallback list knows no row counts.
  assert.equal(datasetLabel({ name: 'iris', source: 'builtin' }), 'Iris');
});

test('datasets fall back to the built-in names of config.js', () => {
  assert.deepEqual(BUILTIN_DATASETS.map((d) => d.name), DATASETS);
  assert.ok(BUILTIN_DATASETS.every((d) => d.source === 'builtin'));
});

test('datasets order the built-in ones first, then uploads, each in the order given', () => {
  const list = [
    { name: 'b', source: 'upload' }, { name: 'iris', source: 'builtin' },
    { name: 'a', source: 'upload' }, { name: 'wine', source: 'builtin' },
  ];
  assert.deepEqual(orderDatasets(list).map((d) => d.name), ['iris', 'wine', 'b', 'a']);
});

test('datasets say what an upload kept', () => {
  assert.equal(uploadSummary(PENGUINS), 'penguins: 342 rows, 3 classes, 6 features (2 categorical)');
  const numeric = { ...PENGUINS, name: 'n', rows: 10, classes: [0, 1], features: [{ name: 'x', kind: 'numeric' }] };
  assert.equal(uploadSummary(numeric), 'n: 10 rows, 2 classes, 1 feature (all numeric)');
  assert.equal(uploadSummary({ ...PENGUINS, dropped_rows: 2 }),
    'penguins: 342 rows, 3 classes, 6 features (2 categorical); 2 rows without a label (species) dropped');
  assert.equal(uploadSummary({ ...PENGUINS, dropped_rows: 1 }).endsWith('; 1 row without a label (species) dropped'), true);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { driftRows } from '../../src/modelbeacon/web/js/drift-panel.js';

test('drift-panel rows put the top movers first', () => {
  const drift = {
    score: 0.64,
    features: [
      { name: 'sepal length (cm)', kind: 'numeric', psi: 0.116, level: 'moderate' },
      { name: 'sepal width (cm)', kind: 'numeric', psi: 0.03, level: 'none' },
      { name: 'petal length (cm)', kind: 'numeric', psi: 0.64, level: 'significant' },
      { name: 'colour', kind: 'categorical', psi: 0.116, level: 'moderate' },
    ],
  };
  assert.deepEqual(driftRows(drift).map((row) => [row.name, row.psi, row.level]), [
    ['petal length (cm)', 0.64, 'significant'],
    ['colour', 0.116, 'moderate'],
    ['sepal length (cm)', 0.116, 'moderate'],
    ['sepal width (cm)', 0.03, 'none'],
  ], 'ties by name');
  assert.equal(driftRows(drift)[1].kind, 'categorical');
});

test('drift-panel rows of no drift are empty and a feature without a number goes last', () => {
  assert.deepEqual(driftRows(null), []);
  assert.deepEqual(driftRows({ score: null }), []);
  const rows = driftRows({ features: [{ name: 'a', psi: null }, { name: 'b', psi: 0 }, { psi: 1 }] });
  assert.deepEqual(rows.map((row) => [row.name, row.psi, row.level]), [['b', 0, 'unknown'], ['a', null, 'unknown']]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { confusionTable } from '../../src/modelbeacon/web/js/confusion-panel.js';

test('confusion-panel shapes rows by true label with recall, and precision per prediction', () => {
  const table = confusionTable({ classes: ['cat', 'dog'], matrix: [[8, 2], [1, 9]] });
  assert.deepEqual(table.classes, ['cat', 'dog']);
  assert.equal(table.total, 20);
  assert.deepEqual(table.rows.map((row) => [row.label, row.total, row.recall]), [['cat', 10, 0.8], ['dog', 10, 0.9]]);
  assert.deepEqual(table.rows[0].cells, [
    { count: 8, share: 0.8, diagonal: true },
    { count: 2, share: 0.2, diagonal: false },
  ]);
  assert.deepEqual(table.precision, [8 / 9, 9 / 11]);
});

test('confusion-panel leaves recall and precision empty for a class never seen', () => {
  const table = confusionTable({ classes: [0, 1, 2], matrix: [[5, 0, 0], [0, 0, 0], [1, 0, 4]] });
  assert.deepEqual(table.rows.map((row) => row.recall), [1, null, 0.8]);
  assert.deepEqual(table.precision, [5 / 6, null, 1]);
  assert.deepEqual(table.rows[1].cells.map((cell) => cell.share), [0, 0, 0]);
});

test('confusion-panel has no table without a square matrix over the classes', () => {
  assert.equal(confusionTable(null), null);
  assert.equal(confusionTable({ classes: [], matrix: [] }), null);
  assert.equal(confusionTable({ classes: [0, 1], matrix: [[1, 2]] }), null);
  assert.equal(confusionTable({ classes: [0, 1], matrix: [[1, 2], [3]] }), null);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError } from '../../src/modelbeacon/web/js/api.js';
import {
  MIN_ROWS_PER_CLASS, datasetNameFrom, inspectCsv, isNumeric, splitCsvLine,
} from '../../src/modelbeacon/web/js/demo-csv.js';

const csv = (...lines) => lines.join('\n');
const rowsOf = (count, make) => Array.from({ length: count }, (_, i) => make(i));

test('demo-csv splits a line on commas outside quotes', () => {
  assert.deepEqual(splitCsvLine('a,b,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitCsvLine('1,,3'), ['1', '', '3']);
  assert.deepEqual(splitCsvLine(','), ['', '']);
  assert.deepEqual(splitCsvLine('"Dream, north",2'), ['Dream, north', '2']);
  assert.deepEqual(splitCsvLine('"say ""hi""",x'), ['say "hi"', 'x']);
});

test('demo-csv reads numbers as Python float() does, finite only', () => {
  for (const text of ['3', '-3', '+0.5', '.5', '5.', '1e3', '2.5E-2', ' 7 ']) assert.ok(isNumeric(text), text);
  for (const text of ['', ' ', 'abc', '1,5', '0x10', 'inf', 'NaN', '1e999', '--1']) assert.ok(!isNumeric(text), text);
});

test('demo-csv infers numeric and categorical columns, keeps string labels, drops rows without one', () => {
  const text = csv(
    '\uFEFFbill_mm,island,species,age',
    ...rowsOf(15, (i) => `${40 + i / 2},${['Biscoe', 'Dream', 'Torgersen'][i % 3]},${['Adelie', 'Gentoo', 'Chinstrap'][i % 3]},${i % 4 ? i : ''}`),
    '',
    '41,Dream,,3',
    ',,Gentoo,',
  );
  assert.deepEqual(inspectCsv(text, 'species'), {
    target: 'species', rows: 16, dropped_rows: 1, classes: ['Adelie', 'Chinstrap', 'Gentoo'],
    features: [
      { name: 'bill_mm', kind: 'numeric' },
      { name: 'island', kind: 'categorical', categories: ['Biscoe', 'Dream', 'Torgersen'] },
      { name: 'age', kind: 'numeric' },
    ],
  });
});

test('demo-csv reads integer labels as numbers, other labels as the strings given', () => {
  const ints = csv('x,y', ...rowsOf(10, (i) => `${i},${i % 2 ? 10 : 2}`));
  assert.deepEqual(inspectCsv(ints, 'y').classes, [2, 10]);
  const padded = csv('x,y', ...rowsOf(10, (i) => `${i},${i % 2 ? '01' : '2'}`));
  assert.deepEqual(inspectCsv(padded, 'y').classes, ['01', '2']);
  const mixed = csv('x,y', ...rowsOf(10, (i) => `${i % 2 ? 'a' : 1},${i % 2}`));
  assert.deepEqual(inspectCsv(mixed, 'y').features, [{ name: 'x', kind: 'categorical', categories: ['1', 'a'] }]);
});

test('demo-csv accepts Windows line endings', () => {
  const text = rowsOf(10, (i) => `${i},${i % 2}`).join('\r\n');
  assert.equal(inspectCsv(`x,y\r\n${text}\r\n`, 'y').rows, 10);
});

function refusal(text, target, message) {
  assert.throws(() => inspectCsv(text, target), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'invalid_input');
    assert.match(error.message, message);
    return true;
  });
}

test('demo-csv refuses what the server refuses, in its words', () => {
  const good = rowsOf(10, (i) => `${i},${i % 2}`);
  refusal(csv('x,y', ...good), 'label', /^no column named 'label' to use as the target; the columns are: 'x', 'y'$/);
  refusal('', 'y', /^the file has no header row/);
  refusal(csv('x,,y', '1,2,0'), 'y', /^column 2 of the header \(line 1\) has no name/);
  refusal(csv('x,x,y', '1,2,0'), 'y', /^the header names column 'x' more than once/);
  refusal(csv('y', '1', '2'), 'y', /^the file has only the target column 'y'/);
  refusal(csv('x,y', ...good.slice(0, 5), '1,2,3', ...good.slice(5)), 'y', /^line 7 has 3 fields but the header has 2/);
  refusal(csv('x,y'), 'y', /^the file has nothing to train on: it has a header but no rows$/);
  refusal(csv('x,y', '1,', '2,'), 'y', /^the file has nothing to train on: none of its 2 rows has a value in target column 'y'$/);
  refusal(csv('x,y', ...rowsOf(10, (i) => `${i},a`)), 'y', /^target column 'y' holds a single class \('a'\)/);
  refusal(csv('x,y', ...good, '1,rare'), 'y',
    new RegExp(`^class 'rare' of target column 'y' has 1 row; every class needs at least ${MIN_ROWS_PER_CLASS}`));
  refusal(csv('x,z,y', ...rowsOf(10, (i) => `${i},,${i % 2}`)), 'y', /^column 'z' is empty in every row that has a target/);
});

test('demo-csv names a dataset after its file as the server does', () => {
  assert.equal(datasetNameFrom('penguins.csv'), 'penguins');
  assert.equal(datasetNameFrom('My data (v2).csv'), 'My_data_v2');
  assert.equal(datasetNameFrom('C:\\fakepath\\a.b.csv'), 'a.b');
  assert.equal(datasetNameFrom('noext'), 'noext');
});

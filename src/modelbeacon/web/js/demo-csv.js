/**
 * Demo mode's stand-in for the server's CSV inspection (registry/tabular.py): an uploaded
 * file's header and rows split in the browser, each column but the target numeric when every
 * non-empty value is a finite number, else categorical with its sorted values. It refuses in
 * the server's words what a demo user is likely to try: no header, an unnamed or repeated
 * column, no target column, a ragged row, nothing to train on, one class, a scarce class, an
 * empty column. The split is a small one: a quoted value may hold commas and "" but not a line
 * break. DOM-free.
 */

import { ApiError } from './api.js';

/** Each class needs this many rows (the server's MIN_ROWS_PER_CLASS). */
export const MIN_ROWS_PER_CLASS = 5;

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
// An integer as Python writes it: "3" and "-3", never "03", "+3", "-0" or "3.0".
const PLAIN_INT = /^(0|-?[1-9]\d*)$/;

const quote = (text) => `'${text}'`;
const invalid = (message, details) => new ApiError({ status: 422, code: 'invalid_input', message, details });

/** One CSV line's fields: commas split, double quotes group, "" inside quotes is a quote. */
export function splitCsvLine(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      field += '"';
      i += 1;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Whether `text` reads as a finite number, as Python's float() would take it. */
export function isNumeric(text) {
  return NUMBER.test(text) && Number.isFinite(Number(text));
}

function checkedHeader(header, target) {
  if (!header) {
    throw invalid('the file has no header row: line 1 must name the columns, separated by commas', { line: 1 });
  }
  const unnamed = header.flatMap((name, j) => (name.trim() ? [] : [j + 1]));
  if (unnamed.length) {
    throw invalid(`column ${unnamed[0]} of the header (line 1) has no name; name every column`,
      { line: 1, unnamed_columns: unnamed });
  }
  const duplicates = [...new Set(header.filter((name, j) => header.indexOf(name) !== j))].sort();
  if (duplicates.length) {
    throw invalid(`the header names column ${quote(duplicates[0])} more than once; names must be unique`,
      { line: 1, duplicate_columns: duplicates });
  }
  if (!header.includes(target)) {
    const shown = header.slice(0, 20).map(quote).join(', ') + (header.length > 20 ? ', ...' : '');
    throw invalid(`no column named ${quote(target)} to use as the target; the columns are: ${shown}`,
      { target, columns: header });
  }
  if (header.length === 1) {
    throw invalid(`the file has only the target column ${quote(target)}; a model needs a feature column`,
      { target, columns: header });
  }
}

function checkedClasses(counts, target, dropped) {
  if (counts.size === 0) {
    const reason = dropped
      ? `none of its ${dropped} rows has a value in target column ${quote(target)}`
      : 'it has a header but no rows';
    throw invalid(`the file has nothing to train on: ${reason}`, { target, dropped_rows: dropped });
  }
  const texts = [...counts.keys()];
  const integers = texts.every((text) => PLAIN_INT.test(text));
  if (texts.length === 1) {
    const only = integers ? texts[0] : quote(texts[0]);
    throw invalid(`target column ${quote(target)} holds a single class (${only}); a classifier needs two or more`,
      { target, classes: [texts[0]] });
  }
  const scarce = texts.filter((text) => counts.get(text) < MIN_ROWS_PER_CLASS)
    .sort((a, b) => counts.get(a) - counts.get(b));
  if (scarce.length) {
    const n = counts.get(scarce[0]);
    throw invalid(`class ${quote(scarce[0])} of target column ${quote(target)} has ${n} row${n === 1 ? '' : 's'}; `
      + `every class needs at least ${MIN_ROWS_PER_CLASS} (MIN_ROWS_PER_CLASS) so that both the training `
      + 'and the validation split see it: add rows or remove the class',
    { target, min_rows_per_class: MIN_ROWS_PER_CLASS });
  }
  return integers ? texts.map(Number).sort((a, b) => a - b) : texts.sort();
}

/**
 * What the server's `inspect_csv` finds in `text` for training on column `target`:
 * `{target, rows, dropped_rows, classes, features: [{name, kind, categories?}]}`. Rows without
 * a target are dropped and counted, blank lines skipped. Throws an ApiError (422) saying what
 * to fix and where.
 */
export function inspectCsv(text, target) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const header = lines[0] === undefined || lines[0] === '' ? null : splitCsvLine(lines[0]);
  checkedHeader(header, target);
  const targetIndex = header.indexOf(target);
  const columns = header.flatMap((name, index) => (index === targetIndex ? []
    : [{ name, index, numeric: true, present: false, values: new Set() }]));
  const counts = new Map();
  let dropped = 0;
  lines.slice(1).forEach((line, i) => {
    if (line === '') return;
    const row = splitCsvLine(line);
    if (row.length !== header.length) {
      throw invalid(`line ${i + 2} has ${row.length} field${row.length === 1 ? '' : 's'} but the header has `
        + `${header.length}: every row needs one value per column (quote a value that holds a comma)`,
      { line: i + 2, expected_fields: header.length, fields: row.length });
    }
    const label = row[targetIndex];
    if (label === '') {
      dropped += 1;
      return;
    }
    counts.set(label, (counts.get(label) ?? 0) + 1);
    for (const column of columns) {
      const value = row[column.index];
      if (value === '') continue;
      column.present = true;
      column.numeric &&= isNumeric(value);
      column.values.add(value);
    }
  });
  const classes = checkedClasses(counts, target, dropped);
  const features = columns.map((column) => {
    if (!column.present) {
      throw invalid(`column ${quote(column.name)} is empty in every row that has a target; drop it`,
        { column: column.name });
    }
    return column.numeric ? { name: column.name, kind: 'numeric' }
      : { name: column.name, kind: 'categorical', categories: [...column.values].sort() };
  });
  const rows = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return { target, rows, dropped_rows: dropped, classes, features };
}

/** A dataset name from an uploaded file's name, as the server makes it: "My data (v2).csv" → "My_data_v2". */
export function datasetNameFrom(filename) {
  const base = String(filename).split(/[\\/]/).pop();
  const stem = base.includes('.', 1) ? base.slice(0, base.lastIndexOf('.')) : base;
  return stem.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '').slice(0, 50);
}

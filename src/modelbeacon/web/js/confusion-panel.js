/**
 * The Confusion panel: the per-class confusion of the accuracy window (row = true label,
 * column = prediction) with each class's recall and precision, from the `confusion` object of
 * the live numbers (`null` with no labels).
 *
 * confusionTable is pure; createConfusionPanel touches only the panel's elements.
 */

import { formatCount, formatPercent } from './ui-core.js';

const sum = (values) => values.reduce((total, value) => total + value, 0);

/**
 * `{classes, rows: [{label, cells: [{count, share, diagonal}], total, recall}], precision,
 * total}` of a `{classes, matrix}` confusion, `share` being the cell's part of its row; null
 * when there is none or its matrix is not square over `classes`.
 */
export function confusionTable(confusion) {
  const classes = confusion?.classes;
  const matrix = confusion?.matrix;
  if (!Array.isArray(classes) || !Array.isArray(matrix) || classes.length === 0 || matrix.length !== classes.length
    || !matrix.every((row) => Array.isArray(row) && row.length === classes.length)) return null;
  const counts = matrix.map((row) => row.map((value) => (Number.isFinite(value) ? value : 0)));
  const rows = counts.map((row, i) => {
    const total = sum(row);
    return {
      label: classes[i],
      cells: row.map((count, j) => ({ count, share: total ? count / total : 0, diagonal: i === j })),
      total,
      recall: total ? row[i] / total : null,
    };
  });
  const precision = classes.map((_, j) => {
    const predicted = sum(counts.map((row) => row[j]));
    return predicted ? counts[j][j] / predicted : null;
  });
  return { classes: [...classes], rows, precision, total: sum(rows.map((row) => row.total)) };
}

export function createConfusionPanel(panel) {
  const doc = panel.ownerDocument;
  const $ = (testid) => panel.querySelector(`[data-testid="${testid}"]`);
  const table = $('confusion-table');
  const windowEl = $('confusion-window');
  const empty = $('confusion-empty');

  const cell = (tag, text, attributes = {}) => {
    const el = doc.createElement(tag);
    el.textContent = text;
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
    return el;
  };

  return {
    /** The `confusion` object of a live metrics object, or null. */
    render(confusion) {
      const shaped = confusionTable(confusion);
      table.hidden = shaped === null;
      empty.hidden = shaped !== null;
      windowEl.dataset.value = shaped ? String(shaped.total) : '';
      windowEl.textContent = shaped ? `${formatCount(shaped.total)} labels` : '—';
      panel.classList.remove('is-disconnected');
      if (!shaped) {
        table.replaceChildren();
        return;
      }
      const head = doc.createElement('thead');
      const headRow = doc.createElement('tr');
      const corner = cell('th', '', { scope: 'col' });
      corner.append(cell('span', 'true label \\ prediction', { class: 'sr-only' }));
      headRow.append(corner,
        ...shaped.classes.map((label) => cell('th', String(label), { scope: 'col', class: 'num' })),
        cell('th', 'recall', { scope: 'col', class: 'num summary' }));
      head.append(headRow);
      const body = doc.createElement('tbody');
      for (const row of shaped.rows) {
        const tr = doc.createElement('tr');
        tr.dataset.label = String(row.label);
        tr.append(cell('th', String(row.label), { scope: 'row' }));
        row.cells.forEach((c, j) => {
          const td = cell('td', String(c.count), {
            class: `num ${c.diagonal ? 'hit' : 'miss'}`, 'data-value': String(c.count),
            'data-predicted': String(shaped.classes[j]),
          });
          // Shade by the cell's part of its row: where a class's labels went.
          td.style.setProperty('--share', c.count ? String(0.12 + 0.6 * c.share) : '0');
          tr.append(td);
        });
        tr.append(cell('td', formatPercent(row.recall, 0), { class: 'num summary', 'data-value': row.recall ?? '' }));
        body.append(tr);
      }
      const foot = doc.createElement('tfoot');
      const footRow = doc.createElement('tr');
      footRow.append(cell('th', 'precision', { scope: 'row', class: 'summary' }),
        ...shaped.precision.map((p) => cell('td', formatPercent(p, 0), { class: 'num summary', 'data-value': p ?? '' })),
        cell('td', ''));
      foot.append(footRow);
      table.replaceChildren(head, body, foot);
    },

    setDisconnected(disconnected) {
      panel.classList.toggle('is-disconnected', disconnected);
    },
  };
}

/**
 * The Drift panel: each input feature's PSI against the training split and its level, the top
 * movers first, and the overall score (the largest PSI), from the `drift` object of the live
 * numbers (`null` below 100 predictions or without a training reference).
 *
 * driftRows is pure; createDriftPanel touches only the panel's elements.
 */

import { DRIFT_PSI, driftWordLevel } from './config.js';
import { levelClass } from './ui-core.js';

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/** PSI at which a bar is full: twice the significant line, so both lines sit inside the track. */
const BAR_FULL_PSI = 2 * DRIFT_PSI.significant;

/**
 * The features of `drift` as rows `{name, kind, psi, level}`, largest PSI first (ties by name,
 * features without a number last); [] without drift.
 */
export function driftRows(drift) {
  const features = Array.isArray(drift?.features) ? drift.features : [];
  return features
    .filter((feature) => typeof feature?.name === 'string')
    .map(({ name, kind, psi, level }) => ({
      name, kind: kind ?? 'numeric', psi: isNumber(psi) ? psi : null, level: level ?? 'unknown',
    }))
    .sort((a, b) => (b.psi ?? -Infinity) - (a.psi ?? -Infinity) || a.name.localeCompare(b.name));
}

const formatPsi = (psi) => (isNumber(psi) ? psi.toFixed(3) : '—');

export function createDriftPanel(panel) {
  const doc = panel.ownerDocument;
  const $ = (testid) => panel.querySelector(`[data-testid="${testid}"]`);
  const score = $('drift-score');
  const table = $('drift-table');
  const tbody = table.querySelector('tbody');
  const empty = $('drift-empty');
  const rows = new Map();

  function makeRow(name) {
    const tr = doc.createElement('tr');
    tr.dataset.feature = name;
    tr.innerHTML = `
      <th scope="row" data-col="name"></th>
      <td class="num" data-col="psi"></td>
      <td><span class="badge" data-col="level"></span></td>
      <td class="bar-cell"><div class="bar-track"><div class="bar-fill"></div></div></td>`;
    tr.querySelector('[data-col="name"]').textContent = name;
    return tr;
  }

  function renderRow(tr, row) {
    const level = driftWordLevel(row.level);
    tr.dataset.level = row.level;
    tr.title = `${row.name} (${row.kind})`;
    const psi = tr.querySelector('[data-col="psi"]');
    psi.dataset.value = row.psi ?? '';
    psi.textContent = formatPsi(row.psi);
    const badge = tr.querySelector('[data-col="level"]');
    badge.textContent = row.level;
    badge.className = `badge ${levelClass(level)}`;
    const bar = tr.querySelector('.bar-fill');
    bar.style.width = `${Math.min(100, ((row.psi ?? 0) / BAR_FULL_PSI) * 100)}%`;
    bar.className = `bar-fill ${levelClass(level)}`;
  }

  return {
    /** The `drift` object of a live metrics object, or null. */
    render(drift) {
      const sorted = driftRows(drift);
      const seen = new Set();
      sorted.forEach((row, index) => {
        seen.add(row.name);
        let tr = rows.get(row.name);
        if (!tr) {
          tr = makeRow(row.name);
          rows.set(row.name, tr);
        }
        renderRow(tr, row);
        if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] ?? null);
      });
      for (const [name, tr] of rows) {
        if (!seen.has(name)) {
          tr.remove();
          rows.delete(name);
        }
      }
      const top = sorted[0];
      const value = isNumber(drift?.score) ? drift.score : null;
      score.dataset.value = value ?? '';
      score.dataset.level = top?.level ?? 'unknown';
      score.className = `panel-stat ${levelClass(driftWordLevel(top?.level))}`;
      score.textContent = value === null ? '—' : `score ${formatPsi(value)} · ${top.level}`;
      table.hidden = sorted.length === 0;
      empty.hidden = sorted.length > 0;
      panel.classList.remove('is-disconnected');
    },

    setDisconnected(disconnected) {
      panel.classList.toggle('is-disconnected', disconnected);
    },
  };
}

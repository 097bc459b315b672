/**
 * The model picker in the top bar: a select of every deployed and every monitored model
 * (model-choice.js decides which), grouped "Deployed here" / "Served elsewhere"; choosing one
 * makes every panel follow it. The select carries `data-value` (the shown model's id) and each
 * option `data-status` and `data-served` (`here` | `elsewhere`). View module: touches only the
 * picker's elements and reports the person's choice through `onChoose`.
 */

import { choiceLabel, pickerGroups } from './model-choice.js';

const GROUP_LABELS = Object.freeze({ deployed: 'Deployed here', monitored: 'Served elsewhere (monitored)' });

/**
 * @param {HTMLSelectElement} select  `select[data-role="model-picker"]`
 * @param {{onChoose: (modelId: string) => void}} options
 */
export function createModelPicker(select, { onChoose }) {
  const doc = select.ownerDocument;
  let signature = '';

  select.addEventListener('change', () => {
    if (select.value) onChoose(select.value);
  });

  function option(model, served) {
    const el = doc.createElement('option');
    el.value = String(model.id);
    el.textContent = choiceLabel(model);
    el.dataset.status = model.status ?? '';
    el.dataset.served = served;
    return el;
  }

  return {
    /** List the watchable models of `models` (an iterable) and select `shownId`. */
    render(models, shownId) {
      const groups = pickerGroups(models);
      const entries = [
        ...groups.deployed.map((m) => ['here', m]),
        ...groups.monitored.map((m) => ['elsewhere', m]),
      ];
      // Rebuilding the options while the list is open would close it under the person's
      // pointer: only rebuild when what is listed changed.
      const next = JSON.stringify(entries.map(([served, m]) => [served, m.id, choiceLabel(m), m.status]));
      if (next !== signature) {
        signature = next;
        const children = [];
        for (const [key, served] of [['deployed', 'here'], ['monitored', 'elsewhere']]) {
          if (groups[key].length === 0) continue;
          const group = doc.createElement('optgroup');
          group.label = GROUP_LABELS[key];
          group.append(...groups[key].map((m) => option(m, served)));
          children.push(group);
        }
        if (children.length === 0) {
          const empty = doc.createElement('option');
          empty.value = '';
          empty.textContent = 'No model deployed or monitored';
          children.push(empty);
        }
        select.replaceChildren(...children);
      }
      const listed = shownId != null && entries.some(([, m]) => String(m.id) === String(shownId));
      select.value = listed ? String(shownId) : '';
      select.disabled = entries.length === 0;
      select.dataset.value = listed ? String(shownId) : '';
      select.dataset.count = String(entries.length);
    },
  };
}

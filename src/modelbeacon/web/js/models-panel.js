/**
 * The Models panel: the model list (status, validation accuracy, predictions, a Deploy button
 * for ready or inactive models), the train form and the CSV upload form. Results arrive
 * through WebSocket events, so this module only renders what it is given and reports the
 * user's intents through `onTrain` / `onDeploy` / `onUpload`. View module: touches only the
 * panel's elements.
 */

import { ALGORITHMS, DATASET_LABELS, DEPLOYABLE_STATUSES, statusLevel } from './config.js';
import { BUILTIN_DATASETS, datasetLabel, orderDatasets, uploadSummary } from './datasets.js';
import { formatCount, formatPercent, levelClass } from './ui-core.js';

const ALGORITHM_LABELS = Object.freeze({
  logistic_regression: 'Logistic regression',
  random_forest: 'Random forest',
  gradient_boosting: 'Gradient boosting',
  sgd: 'SGD',
  mlp: 'MLP',
  external: 'Served elsewhere',
});

/** Replace `select`'s options with `[value, label]` pairs, keeping its choice when still offered. */
function fillSelect(select, entries) {
  const chosen = select.value;
  select.replaceChildren(
    ...entries.map(([value, label]) => {
      const option = select.ownerDocument.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }),
  );
  if (entries.some(([value]) => value === chosen)) select.value = chosen;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Order: the active model first, then newest first (ids are opaque: compare created_at). */
function sortModels(models, activeId) {
  return [...models].sort((a, b) => {
    if ((a.id === activeId) !== (b.id === activeId)) return a.id === activeId ? -1 : 1;
    return String(b.created_at ?? '').localeCompare(String(a.created_at ?? ''));
  });
}

/**
 * @param {Element} panel  the `[data-panel=models]` section
 * @param {object} intents
 * @param {(spec) => Promise<string>} intents.onTrain  resolves with a message to show
 * @param {(modelId) => Promise<string>} intents.onDeploy  resolves with a message to show
 * @param {({file, target, name}) => Promise<object>} intents.onUpload  resolves with the
 *   dataset the server kept (GET /api/datasets shape).
 *   Each rejects with an Error whose message is shown.
 */
export function createModelsPanel(panel, { onTrain, onDeploy, onUpload }) {
  const doc = panel.ownerDocument;
  const tbody = panel.querySelector('[data-testid="models-table"] tbody');
  const empty = panel.querySelector('[data-testid="models-empty"]');
  const form = panel.querySelector('[data-testid="train-form"]');
  const message = panel.querySelector('[data-testid="models-message"]');
  const upload = panel.querySelector('[data-testid="upload-form"]');
  const uploadMessage = panel.querySelector('[data-testid="upload-message"]');
  const uploadButton = panel.querySelector('[data-testid="upload-submit"]');
  const rows = new Map();
  let datasets = [];

  fillSelect(form.elements.algorithm, ALGORITHMS.map((a) => [a, ALGORITHM_LABELS[a] ?? a]));

  /** The train form's dataset choices (GET /api/datasets): built-in first, then uploads. */
  function setDatasets(list) {
    datasets = orderDatasets(list);
    fillSelect(form.elements.dataset, datasets.map((d) => [d.name, datasetLabel(d)]));
  }
  setDatasets(BUILTIN_DATASETS);

  function showMessage(text, kind = 'info') {
    message.textContent = text;
    message.dataset.kind = kind;
  }

  function showUploadMessage(text, kind) {
    uploadMessage.textContent = text;
    uploadMessage.dataset.kind = kind;
  }

  async function run(intent, button) {
    if (button) button.disabled = true;
    try {
      showMessage(await intent(), 'info');
    } catch (error) {
      showMessage(error.code ? `${error.message} (${error.code})` : error.message, 'error');
    } finally {
      if (button) button.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const spec = {
      name: form.elements.name.value.trim(),
      dataset: form.elements.dataset.value,
      algorithm: form.elements.algorithm.value,
    };
    run(() => onTrain(spec), form.querySelector('[data-testid="train-submit"]'));
  });

  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = upload.elements.file.files[0];
    const target = upload.elements.target.value.trim();
    if (!file) return showUploadMessage('Choose a CSV file first.', 'error');
    if (!target) return showUploadMessage('Name the column that holds the class labels (target).', 'error');
    uploadButton.disabled = true;
    showUploadMessage('uploading…', 'progress');
    try {
      const dataset = await onUpload({ file, target, name: upload.elements.name.value.trim() });
      setDatasets([...datasets.filter((d) => d.name !== dataset.name), dataset]);
      form.elements.dataset.value = dataset.name;
      upload.reset();
      showUploadMessage(uploadSummary(dataset), 'info');
    } catch (error) {
      showUploadMessage(error.message, 'error');
    } finally {
      uploadButton.disabled = false;
    }
  });

  tbody.addEventListener('click', (event) => {
    const button = event.target.closest('[data-testid="deploy-button"]');
    if (button) run(() => onDeploy(button.dataset.modelId), button);
  });

  function makeRow(id) {
    const tr = doc.createElement('tr');
    tr.dataset.testid = 'model-row';
    tr.dataset.modelId = id;
    tr.innerHTML = `
      <td><span data-col="name"></span> <span class="version" data-col="version"></span></td>
      <td data-col="algorithm"></td>
      <td data-col="dataset"></td>
      <td><span class="badge" data-col="status" data-testid="model-row-status"></span></td>
      <td class="num" data-col="validation" data-testid="model-row-validation"></td>
      <td class="num" data-col="predictions" data-testid="model-row-predictions"></td>
      <td class="actions"><button type="button" class="small" data-testid="deploy-button">Deploy</button></td>`;
    tr.querySelector('button').dataset.modelId = id;
    return tr;
  }

  function renderRow(tr, model, activeId, shownId) {
    const cell = (name) => tr.querySelector(`[data-col="${name}"]`);
    setText(cell('name'), model.name ?? `model ${model.id}`);
    setText(cell('version'), model.version != null ? `v${model.version}` : '');
    setText(cell('algorithm'), ALGORITHM_LABELS[model.algorithm] ?? model.algorithm ?? '');
    // An imported model may come without the dataset it was trained on.
    const imported = model.source === 'imported' ? 'imported' : '';
    setText(cell('dataset'), DATASET_LABELS[model.dataset] ?? model.dataset ?? imported);
    const status = cell('status');
    setText(status, model.status ?? 'unknown');
    status.dataset.value = model.status ?? '';
    status.className = `badge ${levelClass(statusLevel(model.status))}`;
    status.title = model.error ?? '';
    const validation = cell('validation');
    setText(validation, formatPercent(model.validation_accuracy));
    validation.dataset.value = model.validation_accuracy ?? '';
    const predictions = cell('predictions');
    setText(predictions, formatCount(model.total_predictions));
    predictions.dataset.value = model.total_predictions ?? '';
    const button = tr.querySelector('button');
    button.hidden = model.id === activeId || !DEPLOYABLE_STATUSES.includes(model.status);
    tr.classList.toggle('is-active', model.id === activeId);
    tr.classList.toggle('is-shown', model.id === shownId);
  }

  return {
    showMessage,
    setDatasets,

    /**
     * Render `models` (an iterable of model objects), reusing rows by id; `activeId` is the
     * deployed model, `shownId` the one the panels follow.
     */
    render(models, activeId, shownId = null) {
      const sorted = sortModels(models, activeId);
      const seen = new Set();
      sorted.forEach((model, index) => {
        const id = String(model.id);
        seen.add(id);
        let tr = rows.get(id);
        if (!tr) {
          tr = makeRow(id);
          rows.set(id, tr);
        }
        renderRow(tr, model, activeId, shownId);
        if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] ?? null);
      });
      for (const [id, tr] of rows) {
        if (!seen.has(id)) {
          tr.remove();
          rows.delete(id);
        }
      }
      empty.hidden = sorted.length > 0;
    },

    /** Update one model's prediction count without re-rendering the table. */
    setPredictions(modelId, total) {
      const tr = rows.get(String(modelId));
      if (!tr) return;
      const cell = tr.querySelector('[data-col="predictions"]');
      setText(cell, formatCount(total));
      cell.dataset.value = total ?? '';
    },
  };
}

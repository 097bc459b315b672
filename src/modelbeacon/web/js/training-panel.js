/**
 * The Live Training Progress panel: progress bar, stage, details, fed by `training_progress`,
 * `training_completed` and `training_failed`; "Ready" when nothing is running. When several
 * jobs run, it follows the one updated last and says how many more there are.
 * View module: touches only the panel's elements.
 */

import { formatPercent } from './ui-core.js';

const STAGE_TEXT = Object.freeze({
  queued: 'Queued', loading_data: 'Loading data', splitting: 'Splitting', fitting: 'Fitting',
  evaluating: 'Evaluating', saving: 'Saving', ready: 'Ready', failed: 'Failed',
});

/** @param {(modelId: string) => object|null} getModel  the dashboard's model lookup */
export function createTrainingPanel(panel, { getModel }) {
  const $ = (testid) => panel.querySelector(`[data-testid="${testid}"]`);
  const el = {
    bar: $('training-bar'), stage: $('training-stage'), percent: $('training-percent'),
    details: $('training-details'), job: $('training-job'),
  };
  const jobs = new Map();
  let seq = 0;

  const label = (model, modelId) => (model ? `${model.name} v${model.version}` : `model ${modelId}`);

  function touch(jobId, fields) {
    const key = String(jobId);
    const job = jobs.get(key) ?? { job_id: key, progress: 0, stage: 'queued', details: '', ended: null };
    Object.assign(job, fields, { seq: ++seq });
    jobs.set(key, job);
  }

  function render() {
    const bySeq = [...jobs.values()].sort((a, b) => b.seq - a.seq);
    const running = bySeq.filter((job) => !job.ended);
    const job = running[0] ?? bySeq[0];
    if (!job) return;
    const failed = job.ended === 'failed';
    const progress = job.ended === 'completed' ? 100 : Number(job.progress) || 0;
    const stage = job.ended === 'completed' ? 'ready' : failed ? 'failed' : job.stage;
    el.bar.dataset.value = String(progress);
    el.bar.setAttribute('aria-valuenow', String(progress));
    el.bar.classList.toggle('is-failed', failed);
    el.bar.classList.toggle('is-running', !job.ended);
    el.bar.firstElementChild.style.width = `${Math.max(0, Math.min(100, progress))}%`;
    el.stage.dataset.value = stage;
    el.stage.textContent = STAGE_TEXT[stage] ?? stage;
    el.percent.textContent = `${Math.round(progress)}%`;
    const model = getModel(String(job.model_id));
    // Built at render time: the model's name may arrive (REST) after the completion event.
    el.details.textContent = job.ended === 'completed'
      ? `${label(model, job.model_id)} trained · validation accuracy ${formatPercent(job.validation_accuracy)}`
      : job.details ?? '';
    const more = running.length > 1 ? ` (+${running.length - 1} more running)` : '';
    el.job.dataset.value = String(job.job_id);
    el.job.textContent = `#${job.job_id} · ${label(model, job.model_id)}${more}`;
  }

  return {
    render,
    /** Jobs of a snapshot (`training`: jobs not yet ended, GET /api/training shape). */
    addJobs(list) {
      for (const job of list) touch(job.job_id, { ...job, ended: null });
      render();
    },
    progress(msg) {
      touch(msg.job_id, {
        model_id: msg.model_id, stage: msg.stage, progress: msg.progress, details: msg.details,
        ended: msg.stage === 'failed' ? 'failed' : null,
      });
      render();
    },
    completed(msg) {
      touch(msg.job_id, {
        model_id: msg.model_id, stage: 'ready', progress: 100, ended: 'completed',
        validation_accuracy: msg.validation_accuracy,
      });
      render();
    },
    failed(msg) {
      touch(msg.job_id, { model_id: msg.model_id, stage: 'failed', ended: 'failed', details: msg.error });
      render();
    },
  };
}

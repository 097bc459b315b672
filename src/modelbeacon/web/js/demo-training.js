/**
 * The simulated world behind demo mode, part 2: the built-in datasets' shapes and a training
 * job that walks the server's stages (docs/PAYLOADS.md) with per-tree / per-epoch progress.
 * Pure and DOM-free; time comes in as an argument.
 */

const range = (n) => Array.from({ length: n }, (_, i) => i);

const CANCER_FEATURES = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness',
  'concavity', 'concave points', 'symmetry', 'fractal dimension'];

/** Feature names, classes and row counts of the scikit-learn datasets the server ships. */
export const DATASET_INFO = Object.freeze({
  iris: {
    rows: 150,
    feature_names: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    classes: [0, 1, 2],
  },
  wine: {
    rows: 178,
    feature_names: ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols',
      'flavanoids', 'nonflavanoid_phenols', 'proanthocyanins', 'color_intensity', 'hue',
      'od280/od315_of_diluted_wines', 'proline'],
    classes: [0, 1, 2],
  },
  breast_cancer: {
    rows: 569,
    feature_names: [
      ...CANCER_FEATURES.map((f) => `mean ${f}`),
      ...CANCER_FEATURES.map((f) => `${f} error`),
      ...CANCER_FEATURES.map((f) => `worst ${f}`),
    ],
    classes: [0, 1],
  },
  digits: {
    rows: 1797,
    feature_names: range(64).map((i) => `pixel_${Math.floor(i / 8)}_${i % 8}`),
    classes: range(10),
  },
});

/** Built-in dataset `name` as GET /api/datasets describes it; undefined for another name. */
export function builtinDataset(name) {
  const info = DATASET_INFO[name];
  return info && {
    name, source: 'builtin', rows: info.rows, target: 'target', classes: [...info.classes],
    features: info.feature_names.map((feature) => ({ name: feature, kind: 'numeric' })),
    dropped_rows: 0, created_at: null,
  };
}

/** How each algorithm reports fitting progress, and how long fitting takes in the demo. */
const FITTING = Object.freeze({
  logistic_regression: { total: 100, batch: 10, unit: 'iterations', seconds: 6 },
  sgd: { total: 20, batch: 2, unit: 'epochs', seconds: 6 },
  random_forest: { total: 50, batch: 5, unit: 'trees', seconds: 14 },
  gradient_boosting: { total: 100, batch: 10, unit: 'estimators', seconds: 18 },
  mlp: { total: 30, batch: 3, unit: 'epochs', seconds: 20 },
});

const BASE_ACCURACY = Object.freeze({ iris: 0.96, wine: 0.965, breast_cancer: 0.955, digits: 0.965 });

/** A plausible validation accuracy for a freshly trained model. */
export function validationAccuracy(model, rng) {
  const base = BASE_ACCURACY[model.dataset] ?? 0.93;
  const tweak = model.algorithm === 'sgd' ? -0.02 : model.algorithm === 'logistic_regression' ? 0.005 : 0;
  return Number(Math.min(0.995, base + tweak + rng.uniform(-0.01, 0.01)).toFixed(4));
}

/**
 * One training job's timeline: `[stage, seconds, progress at start]`, fitting in between.
 * `dataset` is the model's dataset as GET /api/datasets describes it.
 */
function buildPlan(model, dataset) {
  const fit = FITTING[model.algorithm];
  const held = Math.round(dataset.rows * 0.2);
  return [
    { stage: 'queued', seconds: 1, progress: () => 0, details: () => 'waiting for a worker' },
    { stage: 'loading_data', seconds: 2, progress: () => 5,
      details: () => `loading ${model.dataset} (${dataset.rows} rows, ${dataset.features.length} features)` },
    { stage: 'splitting', seconds: 1, progress: () => 12, details: () => '80/20 stratified split' },
    { stage: 'fitting', seconds: fit.seconds,
      progress: (f) => 15 + 70 * (fittedUnits(fit, f) / fit.total),
      details: (f) => `${fittedUnits(fit, f)}/${fit.total} ${fit.unit}` },
    { stage: 'evaluating', seconds: 2, progress: () => 90, details: () => `scoring ${held} held-out rows` },
    { stage: 'saving', seconds: 1.5, progress: () => 97, details: () => 'writing the model artifact' },
  ];
}

function fittedUnits(fit, fraction) {
  return Math.min(fit.total, Math.floor((fraction * fit.total) / fit.batch) * fit.batch);
}

export class TrainingJob {
  constructor({ jobId, model, dataset, startMs, autoDeploy = false, failAt = null }) {
    this.job_id = jobId;
    this.model = model;
    this.startMs = startMs;
    this.autoDeploy = autoDeploy;
    this.failAt = failAt;
    this.plan = buildPlan(model, dataset);
    this.state = 'queued';
    this.stage = 'queued';
    this.progress = 0;
    this.details = 'waiting for a worker';
    this.error = null;
    this.ended = null;
  }

  /**
   * Move the job to `nowMs`. Returns null when nothing visible changed, else
   * `{progressed, ended}` with `ended` in (null, 'completed', 'failed').
   */
  advance(nowMs) {
    if (this.ended) return null;
    let elapsed = (nowMs - this.startMs) / 1000;
    for (const step of this.plan) {
      if (elapsed < step.seconds) {
        const fraction = elapsed / step.seconds;
        if (this.failAt === step.stage && fraction >= 0.5) return this.fail(step, fraction);
        return this.moveTo(step, fraction);
      }
      elapsed -= step.seconds;
    }
    this.state = 'completed';
    this.stage = 'ready';
    this.progress = 100;
    this.details = 'training complete';
    this.ended = 'completed';
    return { progressed: true, ended: 'completed' };
  }

  moveTo(step, fraction) {
    const progress = Number(step.progress(fraction).toFixed(1));
    const details = step.details(fraction);
    if (step.stage === this.stage && progress === this.progress && details === this.details) return null;
    this.state = step.stage === 'queued' ? 'queued' : 'running';
    this.stage = step.stage;
    this.progress = progress;
    this.details = details;
    return { progressed: true, ended: null };
  }

  fail(step, fraction) {
    this.state = 'failed';
    this.stage = 'failed';
    this.error = `${step.stage} failed at ${step.details(fraction)}: worker ran out of memory (simulated)`;
    this.details = this.error;
    this.ended = 'failed';
    return { progressed: false, ended: 'failed' };
  }

  /** The `training_progress` fields. */
  progressFields() {
    return {
      job_id: this.job_id, model_id: this.model.id, stage: this.stage, progress: this.progress, details: this.details,
    };
  }

  /** `GET /api/training/{job_id}` and the snapshot's `training` items. */
  jobFields() {
    return { ...this.progressFields(), state: this.state, error: this.error };
  }
}

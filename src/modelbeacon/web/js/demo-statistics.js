/**
 * The statistics demo mode computes the way the server defines them (DESIGN.md section 3), so
 * the simulated numbers mean what the real ones mean: nearest-rank percentiles, the 95% Wilson
 * interval of an accuracy, and per-feature PSI against reference bins.
 *
 * Pure and DOM-free.
 */

/** Nearest-rank `percent`-th percentile (integer percent) of ascending `sorted`; null if empty. */
export function nearestRank(sorted, percent) {
  if (sorted.length === 0) return null;
  return sorted[Math.ceil((percent * sorted.length) / 100) - 1];
}

/** Mean of non-empty `values`. */
export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Share of true among non-empty `flags`. */
export const fraction = (flags) => flags.filter(Boolean).length / flags.length;

const Z95 = 1.959963984540054;

/**
 * The 95% Wilson score interval of `correct` successes out of `n` > 0 (E. B. Wilson, 1927; the
 * `method="wilson"` of statsmodels' proportion_confint): 85 of 100 is [0.767, 0.907].
 */
export function wilsonInterval(correct, n) {
  const p = correct / n;
  const z2 = Z95 * Z95;
  const centre = p + z2 / (2 * n);
  const spread = Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const scale = 1 + z2 / n;
  return { low: (centre - spread) / scale, high: (centre + spread) / scale };
}

/**
 * The demo's reference for every feature: values are in training standard deviations around
 * the training mean, so the training split's decile edges are the standard normal's deciles and
 * each of the 10 bins holds a tenth of the reference.
 */
export const REFERENCE_EDGES = Object.freeze([
  -1.2815515655446004, -0.8416212335729143, -0.5244005127080407, -0.2533471031357997, 0,
  0.2533471031357997, 0.5244005127080407, 0.8416212335729143, 1.2815515655446004,
]);
const REFERENCE_PROPORTION = 1 / (REFERENCE_EDGES.length + 1);

/** The bin of `value`: one right of every edge it is at or above (metrics/psi.py's bin_of). */
export function binOf(value) {
  let bin = 0;
  while (bin < REFERENCE_EDGES.length && value >= REFERENCE_EDGES[bin]) bin += 1;
  return bin;
}

/** metrics/psi.py's constants: drift needs 100 predictions; level lines at 0.1 and 0.2. */
const MIN_DRIFT_PREDICTIONS = 100;
const PROPORTION_FLOOR = 1e-4;
const MODERATE_PSI = 0.1;
const SIGNIFICANT_PSI = 0.2;

/** PSI = sum over bins of (p_cur - p_ref) * ln(p_cur / p_ref), each proportion floored at 1e-4. */
export function psi(current, reference) {
  let total = 0;
  current.forEach((value, i) => {
    const cur = Math.max(value, PROPORTION_FLOOR);
    const ref = Math.max(reference[i], PROPORTION_FLOOR);
    total += (cur - ref) * Math.log(cur / ref);
  });
  return total;
}

/** `none` < 0.1 <= `moderate` < 0.2 <= `significant`. */
export function driftLevel(value) {
  if (value < MODERATE_PSI) return 'none';
  if (value < SIGNIFICANT_PSI) return 'moderate';
  return 'significant';
}

/** Each feature's PSI of the bins of `vectors` (one array of bin indices per prediction). */
export function featurePsi(vectors, featureCount) {
  const bins = REFERENCE_EDGES.length + 1;
  const reference = new Array(bins).fill(REFERENCE_PROPORTION);
  return Array.from({ length: featureCount }, (_, feature) => {
    const counts = new Array(bins).fill(0);
    for (const vector of vectors) counts[vector[feature]] += 1;
    return psi(counts.map((count) => count / vectors.length), reference);
  });
}

/**
 * The `drift` object of the live numbers over `vectors`, features in model order:
 * `{score, features: [{name, kind, psi, level}]}`, `score` the largest PSI; null below
 * MIN_DRIFT_PREDICTIONS vectors.
 */
export function driftSummary(vectors, featureNames) {
  if (vectors.length < MIN_DRIFT_PREDICTIONS) return null;
  const values = featurePsi(vectors, featureNames.length).map((value) => Number(value.toFixed(4)));
  return {
    score: Math.max(...values),
    features: featureNames.map((name, i) => ({ name, kind: 'numeric', psi: values[i], level: driftLevel(values[i]) })),
  };
}

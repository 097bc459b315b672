/**
 * Whether the label-free estimate can stand in for labels right now, in words, from the
 * server's numbers of the accuracy window: `current_accuracy`, its `accuracy_interval`,
 * `accuracy_window` and `estimate_gap` (DESIGN.md section 3).
 *
 * On the window's labelled predictions the estimate said `current_accuracy + estimate_gap`.
 * It is not to be trusted when it is both further than `threshold` from the realised accuracy
 * (far enough to matter) and outside that accuracy's 95% interval (further than the labels'
 * own noise explains). Far but inside the interval, the labels cannot tell yet.
 *
 * Pure and DOM-free.
 */

import { formatInterval, formatPercent } from './ui-core.js';

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/**
 * @param {object} metrics  a live metrics object (docs/PAYLOADS.md)
 * @param {{threshold: number, minLabelled: number}} rules  CLIENT.estimate_gap_warning and the
 *   server's `min_labelled`, below which no accuracy is judged
 * @returns {{level: 'good'|'warn'|'bad'|'unknown', text: string}}
 */
export function estimateVerdict(metrics, { threshold, minLabelled }) {
  const { current_accuracy: accuracy, accuracy_window: labels, accuracy_interval: interval, estimate_gap: gap } = metrics;
  if (!isNumber(accuracy)) {
    return { level: 'unknown', text: 'no labels yet: the estimate cannot be checked against realised accuracy' };
  }
  if (!isNumber(gap)) {
    // A model without probabilities has no estimate, so no gap.
    return { level: 'unknown', text: 'no label-free estimate to check against realised accuracy' };
  }
  if (!isNumber(labels) || labels < minLabelled) {
    return { level: 'unknown', text: `only ${labels ?? 0} labels: too few to check the estimate against realised accuracy` };
  }
  const estimate = accuracy + gap;
  const points = Math.abs(gap * 100).toFixed(1);
  const comparison = Number(points) === 0
    ? `estimate ${formatPercent(estimate)} matches realised accuracy ${formatPercent(accuracy)}`
    : `estimate ${formatPercent(estimate)} is ${points} points ${gap > 0 ? 'above' : 'below'} realised accuracy ${formatPercent(accuracy)}`;
  if (Math.abs(gap) <= threshold) {
    return { level: 'good', text: `${comparison} on the same ${labels} labels: in line with them` };
  }
  const inside = interval && isNumber(interval.low) && isNumber(interval.high)
    && estimate >= interval.low && estimate <= interval.high;
  if (inside) {
    return {
      level: 'warn',
      text: `${comparison}, inside its 95% interval ${formatInterval(interval)} over ${labels} labels: watch it`,
    };
  }
  return { level: 'bad', text: `${comparison} on the same ${labels} labels: not to be trusted now` };
}

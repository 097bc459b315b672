import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CLIENT } from '../../src/modelbeacon/web/js/config.js';
import { estimateVerdict } from '../../src/modelbeacon/web/js/estimate-verdict.js';
import { wilsonInterval } from '../../src/modelbeacon/web/js/demo-statistics.js';

const RULES = { threshold: CLIENT.estimate_gap_warning, minLabelled: 20 };

/** The accuracy window's numbers for `correct` of `n` labels and an estimate gap. */
function window(correct, n, gap) {
  return { current_accuracy: correct / n, accuracy_window: n, accuracy_interval: wilsonInterval(correct, n), estimate_gap: gap };
}

test('estimate-verdict gap threshold is 0.05, the distance between the health lines', () => {
  assert.equal(CLIENT.estimate_gap_warning, 0.05);
});

test('estimate-verdict says in words that an estimate far above the labels is not to be trusted', () => {
  const verdict = estimateVerdict(window(80, 100, 0.096), RULES);
  assert.equal(verdict.level, 'bad');
  assert.equal(verdict.text,
    'estimate 89.6% is 9.6 points above realised accuracy 80.0% on the same 100 labels: not to be trusted now');
  assert.equal(estimateVerdict(window(95, 100, -0.12), RULES).text,
    'estimate 83.0% is 12.0 points below realised accuracy 95.0% on the same 100 labels: not to be trusted now');
});

test('estimate-verdict keeps a gap of at most the threshold in line with the labels', () => {
  assert.deepEqual(estimateVerdict(window(93, 100, 0.009), RULES), {
    level: 'good', text: 'estimate 93.9% is 0.9 points above realised accuracy 93.0% on the same 100 labels: in line with them',
  });
  assert.equal(estimateVerdict(window(90, 100, 0.05), RULES).level, 'good', 'exactly at the threshold');
  assert.equal(estimateVerdict(window(90, 100, -0.05), RULES).level, 'good');
  assert.match(estimateVerdict(window(90, 100, 0.0001), RULES).text, /^estimate 90\.0% matches realised accuracy 90\.0%/);
});

test('estimate-verdict calls a large gap the labels\' interval still allows a watch, not a verdict', () => {
  // 16 of 20 is [58.4%, 91.9%]: an estimate 6 points above is inside it.
  const verdict = estimateVerdict(window(16, 20, 0.06), RULES);
  assert.equal(verdict.level, 'warn');
  assert.equal(verdict.text,
    'estimate 86.0% is 6.0 points above realised accuracy 80.0%, inside its 95% interval [58.4%–91.9%] over 20 labels: watch it');
  // Without an interval (an older server) the gap alone decides.
  assert.equal(estimateVerdict({ ...window(16, 20, 0.06), accuracy_interval: null }, RULES).level, 'bad');
});

test('estimate-verdict does not judge without labels or below min_labelled', () => {
  assert.deepEqual(estimateVerdict({}, RULES), {
    level: 'unknown', text: 'no labels yet: the estimate cannot be checked against realised accuracy',
  });
  assert.deepEqual(estimateVerdict(window(10, 19, 0.3), RULES), {
    level: 'unknown', text: 'only 19 labels: too few to check the estimate against realised accuracy',
  });
  assert.deepEqual(estimateVerdict({ ...window(80, 100, 0.1), estimate_gap: null }, RULES), {
    level: 'unknown', text: 'no label-free estimate to check against realised accuracy',
  });
});

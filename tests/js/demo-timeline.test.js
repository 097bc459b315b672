import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MODEL_METRICS } from '../../src/modelbeacon/web/js/config.js';
import { DEMO_TIMELINE } from '../../src/modelbeacon/web/js/demo-timeline.js';

test('demo-timeline crosses the thresholds inside one cycle', () => {
  const { drift_start: a, drift_end: d, cycle_seconds: cycle, max_accuracy_drop: drop } = DEMO_TIMELINE;
  assert.ok(a < d && d < cycle);
  assert.ok(0.95 - drop < MODEL_METRICS.accuracy_critical, 'the drift can reach below 80%');
});

"""The delayed-label queue: earliest first, bounded."""

from __future__ import annotations

import random

from modelbeacon.simulate.labels import LabelQueue


def test_label_queue_pops_only_due_labels_earliest_first() -> None:
    queue = LabelQueue(capacity=100)
    rng = random.Random(0)
    dues = [rng.uniform(0.5, 10.0) for _ in range(50)]
    for i, due in enumerate(dues):
        assert queue.push(due, f"p{i}", i % 3)
    assert queue.next_due() == min(dues)
    popped = queue.pop_due(5.0)
    assert [p.due for p in popped] == sorted(d for d in dues if d <= 5.0)
    assert len(queue) == sum(d > 5.0 for d in dues)
    assert all(p.label == int(p.prediction_id[1:]) % 3 for p in popped)


def test_label_queue_keeps_push_order_for_equal_due_times() -> None:
    queue = LabelQueue(capacity=10)
    for i in range(5):
        queue.push(1.0, f"p{i}", 0)
    assert [p.prediction_id for p in queue.pop_due(1.0)] == ["p0", "p1", "p2", "p3", "p4"]


def test_label_queue_refuses_beyond_capacity() -> None:
    queue = LabelQueue(capacity=2)
    assert queue.push(1.0, "a", 0) and queue.push(2.0, "b", 0)
    assert not queue.push(0.5, "c", 0)
    assert len(queue) == 2 and queue.next_due() == 1.0


def test_label_queue_counts_due_by_and_clears() -> None:
    queue = LabelQueue(capacity=10)
    for due in (1.0, 2.0, 3.0):
        queue.push(due, str(due), 0)
    assert queue.count_due_by(2.0) == 2
    assert queue.clear() == 3
    assert len(queue) == 0 and queue.next_due() is None

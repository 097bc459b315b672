from hypothesis import given
from hypothesis import strategies as st

from modelbeacon.events import DEFAULT_COALESCING, Event, types
from modelbeacon.events.send_queue import OutgoingMessage, PushResult, SendQueue


def state(model_id: str, n: int) -> OutgoingMessage:
    event = Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id, "n": n})
    return OutgoingMessage.build(event, DEFAULT_COALESCING)


def change(model_id: str, n: int) -> OutgoingMessage:
    event = Event(types.MODEL_STATUS_CHANGE, {"model_id": model_id, "n": n})
    return OutgoingMessage.build(event, DEFAULT_COALESCING)


def drain(queue: SendQueue) -> list[tuple[str, str | None, int]]:
    out = []
    while (message := queue.pop()) is not None:
        out.append((message.type, message.event.model_id, message.event.payload["n"]))
    return out


def test_send_queue_replaces_an_unsent_state_and_moves_it_to_the_back() -> None:
    queue = SendQueue(10)
    for message in [state("a", 1), state("b", 1), change("a", 1), state("a", 2)]:
        queue.push(message)

    assert drain(queue) == [
        ("model_metrics_update", "b", 1),
        ("model_status_change", "a", 1),
        ("model_metrics_update", "a", 2),
    ]


def test_send_queue_reports_coalescing() -> None:
    queue = SendQueue(10)

    assert queue.push(state("a", 1)) is PushResult.QUEUED
    assert queue.push(state("a", 2)) is PushResult.COALESCED
    assert len(queue) == 1


def test_send_queue_drops_the_oldest_state_when_full() -> None:
    queue = SendQueue(3)
    for message in [change("a", 1), state("a", 1), state("b", 1)]:
        queue.push(message)

    assert queue.push(change("a", 2)) is PushResult.QUEUED_AFTER_DROP
    assert drain(queue) == [
        ("model_status_change", "a", 1),
        ("model_metrics_update", "b", 1),
        ("model_status_change", "a", 2),
    ]


def test_send_queue_refuses_a_push_when_full_of_changes() -> None:
    queue = SendQueue(2)
    queue.push(change("a", 1))
    queue.push(change("a", 2))

    assert queue.push(state("a", 1)) is PushResult.OVERFLOW
    assert queue.push(change("a", 3)) is PushResult.OVERFLOW
    assert [n for _, _, n in drain(queue)] == [1, 2]


def test_send_queue_keeps_every_metrics_history_point_of_a_lagging_client() -> None:
    def point(n: int) -> OutgoingMessage:
        event = Event(types.METRICS_HISTORY, {"model_id": "a", "n": n})
        return OutgoingMessage.build(event, DEFAULT_COALESCING)

    queue = SendQueue(3)
    for message in [point(1), state("a", 1), point(2)]:
        queue.push(message)
    # The newer state replaces the older one; the newer point does not replace a point.
    assert queue.push(state("a", 2)) is PushResult.COALESCED
    # Full: the state makes room for the next point, never an older point.
    assert queue.push(point(3)) is PushResult.QUEUED_AFTER_DROP

    assert drain(queue) == [
        ("metrics_history", "a", 1),
        ("metrics_history", "a", 2),
        ("metrics_history", "a", 3),
    ]


def test_send_queue_front_push_goes_ahead_of_everything() -> None:
    queue = SendQueue(5)
    queue.push(state("a", 1))
    queue.push(
        OutgoingMessage.build(Event(types.SNAPSHOT, {"n": 0}), DEFAULT_COALESCING), front=True
    )

    assert [kind for kind, _, _ in drain(queue)] == ["snapshot", "model_metrics_update"]


def test_send_queue_retain_removes_unwanted_messages() -> None:
    queue = SendQueue(5)
    for message in [state("a", 1), change("a", 1), state("b", 1)]:
        queue.push(message)

    assert queue.retain(lambda m: m.type == types.MODEL_STATUS_CHANGE) == 2
    assert queue.push(state("a", 2)) is PushResult.QUEUED  # its index entry went too
    assert len(queue) == 2


operations = st.lists(
    st.one_of(
        st.tuples(st.just("state"), st.sampled_from("abc")),
        st.tuples(st.just("change"), st.sampled_from("abc")),
        st.tuples(st.just("pop"), st.just("")),
    ),
    max_size=60,
)


@given(operations, st.integers(min_value=1, max_value=5))
def test_send_queue_matches_a_brute_force_list_model(ops: list[tuple[str, str]], size: int) -> None:
    queue = SendQueue(size)
    model: list[tuple[str, str, int]] = []  # (type, model_id, n), in send order
    for n, (op, model_id) in enumerate(ops):
        if op == "pop":
            expected = model.pop(0) if model else None
            got = queue.pop()
            actual = None if got is None else (got.type, got.event.model_id, got.event.payload["n"])
            assert actual == expected
            continue
        kind = types.MODEL_METRICS_UPDATE if op == "state" else types.MODEL_STATUS_CHANGE
        result = queue.push((state if op == "state" else change)(model_id, n))
        same_key = [
            m for m in model if kind == types.MODEL_METRICS_UPDATE and m[:2] == (kind, model_id)
        ]
        states = [m for m in model if m[0] == types.MODEL_METRICS_UPDATE]
        if same_key:
            model.remove(same_key[0])
            assert result is PushResult.COALESCED
        elif len(model) >= size and states:
            model.remove(states[0])
            assert result is PushResult.QUEUED_AFTER_DROP
        elif len(model) >= size:
            assert result is PushResult.OVERFLOW
            continue
        else:
            assert result is PushResult.QUEUED
        model.append((kind, model_id, n))
        assert len(queue) == len(model) <= size
    assert drain(queue) == model

"""Time from a prediction's HTTP response to the dashboard showing it, in Debian's Chromium.

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--predictions N] [--interval-ms MS]
[--max-seconds S] [--out FILE] [--screenshot FILE]``.

Starts ``python -m modelbeacon serve`` on a free loopback port with a fresh SQLite database and
artifact folder in a temporary directory (every other ``MODELBEACON_*`` variable is dropped, the
server runs in that directory so no ``.env`` is read) and fast pushes: ``METRICS_INTERVAL`` and
``PREDICTION_INTERVAL`` 0.1 s, ``SYSTEM_INTERVAL`` 1 s. It trains and deploys an iris logistic
regression over REST, opens the dashboard in ``/usr/bin/chromium`` (headless, through
Playwright, as the browser tests do), sends a few untimed warm-up predictions, then:

- installs a ``MutationObserver`` in the page on the ``data-value`` attribute of
  ``[data-testid="predictions-total"]``; for each total it first shows, the callback records
  ``performance.timeOrigin + performance.now()`` (epoch ms, "DOM") and, from a
  ``requestAnimationFrame`` queued there, the start of the next frame's callbacks ("frame", an
  approximation of when it can be painted: the paint itself is not observable);
- sends ``--predictions`` predictions one at a time with ``httpx``, one every ``--interval-ms``
  (a fixed schedule, so each total is pushed on its own), noting ``time.time() * 1000`` when
  each response arrived; prediction *i* makes the total ``baseline + i``, which is how the two
  sides are matched (no one else sends predictions to this server);
- reads ``window.__modelbeacon.renderStats()``: how long the page's message handlers took
  (median of the newest 500, all message types, not only those carrying the total).

Both clocks are this machine's wall clock; their offset (page minus Python, with the round trip
of the ``page.evaluate`` that measured it as the bound) is measured before and after the run and
reported. A latency below zero means the push was sent between the server counting the
prediction and the response reaching Python. Percentiles are nearest-rank, as the server computes
its own. The client, the browser and the server share the machine's CPUs, so the figures are an
upper bound. Everything is bounded by ``--max-seconds``: sending stops early, and says so, when
too little time is left. The browser is closed, then the server is stopped by its PID with
SIGTERM (SIGKILL only if it has not exited after 15 s) and its exit code is reported; a non-zero
one fails the run. Results go to ``benchmarks/results/dashboard.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from harness import (
    IRIS_MODEL,
    SERVER_DESCRIPTION,
    BenchError,
    Deadline,
    expect,
    finish,
    fmt,
    iris_rows,
    platform_report,
    running_server,
    setup_model,
    source_version,
    summary,
)
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

RESULTS = Path(__file__).resolve().parent / "results" / "dashboard.json"
SCREENSHOT = Path("/tmp/bench-dashboard.png")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PUSH_INTERVALS = {
    "MODELBEACON_METRICS_INTERVAL": "0.1",
    "MODELBEACON_PREDICTION_INTERVAL": "0.1",
    "MODELBEACON_SYSTEM_INTERVAL": "1",
}
PAGE_TIMEOUT = 30.0
SETTLE_SECONDS = 5.0  # after the last prediction, how long the page may take to show it
RESERVE_SECONDS = SETTLE_SECONDS + 5.0  # budget left for settling, the screenshot and stopping
WARMUP = 10
READ_AFTER_WRITE = 0.2  # REST metrics are a snapshot up to 100 ms old
CONSOLE_KEPT = 20

TOTAL_SELECTOR = '[data-testid="predictions-total"]'

# Records, in the page, when each total first appears in the element's data-value.
INSTALL_OBSERVER = """(selector) => {
  const el = document.querySelector(selector);
  if (el === null) throw new Error(`no element ${selector}`);
  const clock = () => performance.timeOrigin + performance.now();
  const log = { first: {}, mutations: 0, callbacks: 0 };
  const observer = new MutationObserver((records) => {
    const t = clock();
    log.callbacks += 1;
    log.mutations += records.length;
    const value = el.dataset.value;
    if (value === '' || value === undefined || value in log.first) return;
    const entry = { dom: t, frame: null };
    log.first[value] = entry;
    requestAnimationFrame(() => { entry.frame = clock(); });
  });
  observer.observe(el, { attributes: true, attributeFilter: ['data-value'] });
  window.__benchTotals = log;
}"""

PAGE_CLOCKS = "() => [performance.timeOrigin + performance.now(), Date.now()]"


def chromium_version() -> str | None:
    try:
        done = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def rest_total(client: httpx.Client, model_id: str) -> int:
    body = expect(
        client.get(f"/api/models/{model_id}/metrics/realtime"),
        200,
        "GET /api/models/{id}/metrics/realtime",
    )
    return int(body["total_predictions"])


def wait_total(page: Page, total: int, deadline: Deadline, seconds: float) -> bool:
    """Wait until the page's predictions-total shows ``total``; whether it did in time."""
    timeout_ms = deadline.bound(seconds) * 1000.0
    if timeout_ms <= 0:
        return False
    try:
        page.wait_for_function(
            """([selector, total]) => {
                const el = document.querySelector(selector);
                return el !== null && el.dataset.value !== '' && Number(el.dataset.value) >= total;
            }""",
            arg=[TOTAL_SELECTOR, total],
            timeout=timeout_ms,
        )
    except Exception:  # playwright's TimeoutError
        return False
    return True


def clock_offset(page: Page) -> dict[str, float]:
    """Page clocks minus Python's ``time.time()``, in ms, and the round trip that bounds it."""
    before = time.time() * 1000.0
    perf_ms, date_ms = page.evaluate(PAGE_CLOCKS)
    after = time.time() * 1000.0
    middle = (before + after) / 2.0
    return {
        "perf_minus_python_ms": float(perf_ms) - middle,
        "date_now_minus_python_ms": float(date_ms) - middle,
        "evaluate_round_trip_ms": after - before,
    }


def send_predictions(
    client: httpx.Client,
    rows: list[list[float]],
    interval_s: float,
    deadline: Deadline,
) -> tuple[list[tuple[int, float]], list[float], int, bool]:
    """Predict ``rows`` on a fixed schedule; (index, response epoch ms) of each 200, the round
    trips, the failures and whether the budget ran out first."""
    responses: list[tuple[int, float]] = []
    round_trips: list[float] = []
    failures = 0
    start = time.monotonic()
    for i, row in enumerate(rows):
        pause = max(0.0, start + i * interval_s - time.monotonic())
        # Keep enough of the budget for the page to catch up and for the shutdown.
        if deadline.remaining() - pause < RESERVE_SECONDS:
            return responses, round_trips, failures, True
        time.sleep(pause)
        sent = time.perf_counter()
        response = client.post("/api/predict", json={"features": row})
        arrived_ms = time.time() * 1000.0
        round_trips.append((time.perf_counter() - sent) * 1000.0)
        if response.status_code == 200:
            responses.append((i, arrived_ms))
        else:
            failures += 1
    return responses, round_trips, failures, False


def measure(
    page: Page,
    client: httpx.Client,
    model_id: str,
    base_url: str,
    args: argparse.Namespace,
    deadline: Deadline,
) -> dict[str, Any]:
    """Open the page, warm up, then time each prediction's total into the DOM."""
    page.set_default_timeout(PAGE_TIMEOUT * 1000.0)
    page.goto(base_url, timeout=deadline.bound(PAGE_TIMEOUT) * 1000.0)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="connection-indicator"]')
                   ?.dataset.state === 'open'
                 && document.querySelector('[data-testid="model-status"]')
                   ?.dataset.value === 'active'
                 && window.__modelbeacon !== undefined""",
        timeout=deadline.bound(PAGE_TIMEOUT) * 1000.0,
    )
    rows = iris_rows(WARMUP + args.predictions, args.seed)
    for row in rows[:WARMUP]:
        expect(client.post("/api/predict", json={"features": row}), 200, "warm-up predict")
        time.sleep(args.interval_ms / 1000.0)
    time.sleep(READ_AFTER_WRITE)
    baseline = rest_total(client, model_id)
    if baseline != WARMUP:
        raise BenchError(f"REST total after the warm-up is {baseline}, not {WARMUP}")
    if not wait_total(page, baseline, deadline, PAGE_TIMEOUT):
        raise BenchError(f"the page never showed the warm-up total {baseline}")

    page.evaluate(INSTALL_OBSERVER, TOTAL_SELECTOR)
    stats_before = page.evaluate("() => window.__modelbeacon.renderStats()")
    offset_before = clock_offset(page)
    responses, round_trips, failures, stopped_early = send_predictions(
        client, rows[WARMUP:], args.interval_ms / 1000.0, deadline
    )
    sent_ok = len(responses)
    caught_up = wait_total(page, baseline + sent_ok, deadline, SETTLE_SECONDS)
    time.sleep(READ_AFTER_WRITE)  # also lets the last rAF callback run
    final_total = rest_total(client, model_id)
    log: dict[str, Any] = page.evaluate("() => window.__benchTotals")
    stats_after = page.evaluate("() => window.__modelbeacon.renderStats()")
    offset_after = clock_offset(page)

    first: dict[str, dict[str, float | None]] = log["first"]
    dom_ms: list[float] = []
    frame_ms: list[float] = []
    missed: list[int] = []
    per_prediction: list[dict[str, Any]] = []
    for i, arrived in responses:
        total = baseline + i + 1
        seen = first.get(str(total))
        if seen is None or seen["dom"] is None:
            missed.append(total)
            continue
        dom = float(seen["dom"]) - arrived
        frame = None if seen["frame"] is None else float(seen["frame"]) - arrived
        dom_ms.append(dom)
        if frame is not None:
            frame_ms.append(frame)
        per_prediction.append({"total": total, "dom_ms": dom, "frame_ms": frame})
    expected_totals = {str(baseline + i + 1) for i, _ in responses}
    unexpected = sorted(int(v) for v in first if v not in expected_totals)
    return {
        "baseline_total": baseline,
        "final_total_rest": final_total,
        "page_caught_up": caught_up,
        "requested": args.predictions,
        "sent_ok": sent_ok,
        "failures": failures,
        "stopped_early": stopped_early,
        "matched": len(dom_ms),
        "missed_totals": missed,
        "other_totals_seen": unexpected,
        "observer": {"callbacks": log["callbacks"], "mutations": log["mutations"]},
        "response_to_dom_ms": summary(dom_ms, extremes=True),
        "response_to_next_frame_ms": summary(frame_ms, extremes=True),
        "negative_dom_latencies": sum(1 for v in dom_ms if v < 0),
        "predict_round_trip_ms": summary(round_trips, extremes=True),
        "render_stats_before": stats_before,
        "render_stats_end": stats_after,
        "clock_offset_before": offset_before,
        "clock_offset_after": offset_after,
        "per_prediction": per_prediction,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{'measurement (ms)':<44} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'min':>7}"
    )
    for name, stats in (
        ("HTTP response -> DOM data-value", result["response_to_dom_ms"]),
        ("HTTP response -> next animation frame", result["response_to_next_frame_ms"]),
        ("predict round trip (client)", result["predict_round_trip_ms"]),
    ):
        print(
            f"{name:<44} {stats['n']:>5} {fmt(stats['p50'], '.1f'):>7} "
            f"{fmt(stats['p95'], '.1f'):>7} {fmt(stats['p99'], '.1f'):>7} "
            f"{fmt(stats['max'], '.1f'):>7} {fmt(stats['min'], '.1f'):>7}"
        )
    print(
        f"matched {result['matched']} of {result['sent_ok']} predictions "
        f"({result['requested']} requested, {result['failures']} non-200, "
        f"stopped early={result['stopped_early']}); missed totals: "
        f"{result['missed_totals'][:10] or 'none'}; negative latencies: "
        f"{result['negative_dom_latencies']}"
    )
    stats = result["render_stats_end"]
    before = result["render_stats_before"]
    print(
        f"renderStats() at the end: count {stats['count']} ({stats['count'] - before['count']} "
        f"during the run), median {fmt(stats['median'], '.3f')} ms, "
        f"last {fmt(stats['last'], '.3f')} ms"
    )
    for when in ("before", "after"):
        off = result[f"clock_offset_{when}"]
        print(
            f"clock offset {when}: page performance clock - python "
            f"{off['perf_minus_python_ms']:+.2f} ms, Date.now() - python "
            f"{off['date_now_minus_python_ms']:+.2f} ms "
            f"(+/- {off['evaluate_round_trip_ms'] / 2:.2f} ms)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--predictions", type=int, default=200, help="timed predictions")
    parser.add_argument(
        "--interval-ms", type=float, default=250.0, help="time between prediction sends"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time budget of a run")
    parser.add_argument("--screenshot", type=Path, default=SCREENSHOT, help="final screenshot")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.predictions < 1 or args.interval_ms <= 0 or args.max_seconds <= 0:
        parser.error("--predictions, --interval-ms and --max-seconds must be positive")
    if not CHROMIUM.exists():
        parser.error(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")

    deadline = Deadline(args.max_seconds)
    report: dict[str, Any] = {
        **platform_report(),
        "load_average_start": list(os.getloadavg()),
        "browser": chromium_version(),
        "server": SERVER_DESCRIPTION,
        "push_intervals": PUSH_INTERVALS,
        "model": {**IRIS_MODEL},
        "warmup_predictions": WARMUP,
        "interval_ms": args.interval_ms,
        "max_seconds": args.max_seconds,
        "source": source_version(),
    }
    console: list[str] = []
    page_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and len(console) < CONSOLE_KEPT:
            console.append(f"{message.type}: {message.text}")

    with (
        running_server(PUSH_INTERVALS) as server,
        httpx.Client(base_url=server.base_url, timeout=30.0) as client,
    ):
        model_id = setup_model(client, server, deadline, report)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1300})
                page = context.new_page()
                page.on("console", on_console)
                page.on("pageerror", lambda error: page_errors.append(str(error)))
                result = measure(page, client, model_id, server.base_url, args, deadline)
                result["connection_state_end"] = page.get_attribute(
                    '[data-testid="connection-indicator"]', "data-state"
                )
                result["page_total_end"] = page.get_attribute(TOTAL_SELECTOR, "data-value")
                page.screenshot(path=str(args.screenshot), full_page=True)
                result["screenshot"] = str(args.screenshot)
            finally:
                browser.close()
    report["server_stop"] = server.stopped

    result["console_errors_and_warnings"] = console
    result["page_errors"] = page_errors
    report["dashboard"] = result
    report["load_average_end"] = list(os.getloadavg())
    report["elapsed_seconds"] = time.monotonic() - deadline.started

    print_table(result)
    print(
        f"page at the end: connection {result['connection_state_end']}, total "
        f"{result['page_total_end']} (REST {result['final_total_rest']}, expected "
        f"{result['baseline_total'] + result['sent_ok']}, caught up in time: "
        f"{result['page_caught_up']}); console errors/warnings {len(console)}, "
        f"page errors {len(page_errors)}; screenshot {result['screenshot']}"
    )
    for line in console + page_errors:
        print(f"  page: {line}")
    return finish(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())

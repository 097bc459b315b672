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
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from modelbeacon.metrics.latency import nearest_rank

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
HOST = "127.0.0.1"
PUSH_INTERVALS = {
    "MODELBEACON_METRICS_INTERVAL": "0.1",
    "MODELBEACON_PREDICTION_INTERVAL": "0.1",
    "MODELBEACON_SYSTEM_INTERVAL": "1",
}
STOP_TIMEOUT = 15.0
STARTUP_TIMEOUT = 60.0
TRAIN_TIMEOUT = 120.0
PAGE_TIMEOUT = 30.0
SETTLE_SECONDS = 5.0  # after the last prediction, how long the page may take to show it
RESERVE_SECONDS = SETTLE_SECONDS + 5.0  # budget left for settling, the screenshot and stopping
WARMUP = 10
READ_AFTER_WRITE = 0.2  # REST metrics are a snapshot up to 100 ms old
CONSOLE_KEPT = 20

# Per-class means and spreads of the four iris features, as in bench_predict.py.
IRIS_CLASSES = (
    ((5.0, 3.4, 1.5, 0.2), (0.35, 0.38, 0.17, 0.1)),
    ((5.9, 2.8, 4.3, 1.3), (0.52, 0.31, 0.47, 0.2)),
    ((6.6, 3.0, 5.6, 2.0), (0.64, 0.32, 0.55, 0.27)),
)

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


class BenchError(RuntimeError):
    """The server or the page did not come up, or an API call in the setup failed."""


@dataclass
class Deadline:
    """One time budget for the whole run (``--max-seconds``)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        return self.remaining() <= 0

    def bound(self, seconds: float) -> float:
        """``seconds``, or less if the budget has less left (never below zero)."""
        return max(0.0, min(seconds, self.remaining()))


def iris_rows(count: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        means, spreads = IRIS_CLASSES[rng.randrange(len(IRIS_CLASSES))]
        rows.append(
            [round(max(0.1, rng.gauss(m, s)), 1) for m, s in zip(means, spreads, strict=True)]
        )
    return rows


def summary(values_ms: Sequence[float]) -> dict[str, Any]:
    """n, mean, min, max and nearest-rank p50/p95/p99 of ``values_ms`` (``None`` when empty)."""
    if not values_ms:
        return dict.fromkeys(("mean", "min", "p50", "p95", "p99", "max"), None) | {"n": 0}
    ordered = sorted(values_ms)
    return {
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "p50": nearest_rank(ordered, 50),
        "p95": nearest_rank(ordered, 95),
        "p99": nearest_rank(ordered, 99),
        "max": ordered[-1],
    }


def source_version() -> dict[str, Any]:
    """The commit measured and whether the working tree differed from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    changes = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": None if changes is None else changes != ""}


def chromium_version() -> str | None:
    try:
        done = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def free_port() -> int:
    """A port the kernel just handed out on loopback (free unless someone races us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    env.update(PUSH_INTERVALS)
    env["MODELBEACON_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    env["MODELBEACON_ARTIFACT_DIR"] = str(workdir / "artifacts")
    return env


def log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(
            f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}"
        )
    return response.json()


def wait_healthy(
    client: httpx.Client, server: subprocess.Popen[bytes], deadline: Deadline, log: Path
) -> float:
    """Poll ``GET /api/health`` until 200; the seconds it took."""
    started = time.monotonic()
    limit = deadline.bound(STARTUP_TIMEOUT)
    while time.monotonic() - started < limit:
        if server.poll() is not None:
            raise BenchError(f"server exited with {server.returncode}:\n{log_tail(log)}")
        try:
            if client.get("/api/health", timeout=2.0).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchError(f"server not healthy after {limit:.0f} s:\n{log_tail(log)}")


def train_and_deploy(client: httpx.Client, deadline: Deadline) -> tuple[str, float]:
    """Train and deploy the iris model; its id and the seconds training took."""
    started = time.monotonic()
    accepted = expect(
        client.post(
            "/api/models/train",
            json={"name": "bench", "dataset": "iris", "algorithm": "logistic_regression"},
        ),
        202,
        "POST /api/models/train",
    )
    job_id, model_id = accepted["job_id"], accepted["model_id"]
    limit = deadline.bound(TRAIN_TIMEOUT)
    while True:
        job = expect(client.get(f"/api/training/{job_id}"), 200, "GET /api/training/{job_id}")
        if job["state"] == "completed":
            break
        if job["state"] == "failed":
            raise BenchError(f"training failed: {job['error']}")
        if time.monotonic() - started > limit:
            raise BenchError(f"training not completed after {limit:.0f} s: {job}")
        time.sleep(0.1)
    trained = time.monotonic() - started
    expect(client.post(f"/api/models/{model_id}/deploy"), 200, "POST /api/models/{id}/deploy")
    return str(model_id), trained


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


def stop(server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """SIGTERM by PID, wait up to 15 s, SIGKILL only if it is still running."""
    started = time.monotonic()
    killed = False
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            killed = True
    return {
        "pid": server.pid,
        "exit_code": server.returncode,
        "killed": killed,
        "stop_seconds": time.monotonic() - started,
    }


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


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
        "response_to_dom_ms": summary(dom_ms),
        "response_to_next_frame_ms": summary(frame_ms),
        "negative_dom_latencies": sum(1 for v in dom_ms if v < 0),
        "predict_round_trip_ms": summary(round_trips),
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
            f"{name:<44} {stats['n']:>5} {fmt(stats['p50']):>7} {fmt(stats['p95']):>7} "
            f"{fmt(stats['p99']):>7} {fmt(stats['max']):>7} {fmt(stats['min']):>7}"
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
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_start": list(os.getloadavg()),
        "browser": chromium_version(),
        "server": "python -m modelbeacon serve (uvicorn, SQLite, log_level info)",
        "push_intervals": PUSH_INTERVALS,
        "model": {"dataset": "iris", "algorithm": "logistic_regression"},
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

    with tempfile.TemporaryDirectory(prefix="modelbeacon-bench-") as tmp:
        workdir = Path(tmp)
        log_path = workdir / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "modelbeacon", "serve", "--host", HOST, "--port", str(port)],
                cwd=workdir,
                env=server_env(workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        print(f"server pid {server.pid} on {base_url}, workdir {workdir}")
        try:
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                report["startup_seconds"] = wait_healthy(client, server, deadline, log_path)
                model_id, report["training_seconds"] = train_and_deploy(client, deadline)
                report["model"]["id"] = model_id
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                    )
                    try:
                        context = browser.new_context(viewport={"width": 1400, "height": 1300})
                        page = context.new_page()
                        page.on("console", on_console)
                        page.on("pageerror", lambda error: page_errors.append(str(error)))
                        result = measure(page, client, model_id, base_url, args, deadline)
                        result["connection_state_end"] = page.get_attribute(
                            '[data-testid="connection-indicator"]', "data-state"
                        )
                        result["page_total_end"] = page.get_attribute(TOTAL_SELECTOR, "data-value")
                        page.screenshot(path=str(args.screenshot), full_page=True)
                        result["screenshot"] = str(args.screenshot)
                    finally:
                        browser.close()
        except BaseException:
            print(log_tail(log_path), file=sys.stderr)
            raise
        finally:
            report["server_stop"] = stop(server)
            stopped = report["server_stop"]
            how = "SIGKILL after SIGTERM timed out" if stopped["killed"] else "SIGTERM"
            print(
                f"server pid {stopped['pid']} stopped by {how} in "
                f"{stopped['stop_seconds']:.2f} s, exit code {stopped['exit_code']}"
            )

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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    if report["server_stop"]["exit_code"] != 0:
        print("the server did not exit 0", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``modelbeacon simulate`` as registered on a Typer app: help, refusals, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from modelbeacon.simulate.cli import register
from tests.support import ServerProcess, free_port

# The lead registers the command on the real app; these tests use a fresh one the same way.
APP_SNIPPET = """
import typer
from modelbeacon.simulate.cli import register
app = typer.Typer()
app.callback()(lambda: None)
register(app)
app(prog_name="modelbeacon")
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def test_cli_every_option_has_a_help_text() -> None:
    # Typer ships its own copy of click, so the command is inspected by its attributes.
    simulate: Any = getattr(typer.main.get_command(_app()), "commands", {})["simulate"]
    assert simulate.help and "Exit code" in simulate.help
    options = [p for p in simulate.params if p.param_type_name == "option"]
    assert len(options) >= 20
    for option in options:
        assert option.help, option.name
    result = CliRunner().invoke(_app(), ["simulate", "--help"])
    assert result.exit_code == 0
    for flag in ("--url", "--rate", "--duration", "--max-requests", "--drift-every", "--seed"):
        assert flag in result.output


def test_cli_refuses_a_bad_option_with_exit_2() -> None:
    result = CliRunner().invoke(_app(), ["simulate", "--label-share", "1.5"])
    assert result.exit_code == 2
    assert "label_share must be between 0 and 1" in result.output


def test_cli_exits_1_when_no_request_succeeds() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    args = ["simulate", "--url", url, "--rate", "3000", "--max-requests", "5"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 1, result.output
    assert f"cannot reach {url}" in result.output and "sending traffic anyway" in result.output
    assert "errors             5 (connection 5, 4xx 0, 5xx 0)" in result.output
    assert "no prediction succeeded" in result.output


def test_cli_refuses_external_with_with_external() -> None:
    result = CliRunner().invoke(_app(), ["simulate", "--external", "--with-external"])
    assert result.exit_code == 2
    assert "--external (that model alone) or --with-external, not both" in result.output


def test_cli_external_exits_1_when_nothing_is_logged() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    args = ["simulate", "--external", "--url", url, "--rate", "3000", "--max-requests", "5"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 1, result.output
    assert f"cannot reach {url}" in result.output
    assert "summary of iris-elsewhere, served elsewhere and logged" in result.output
    assert "log errors         5 (connection 5, 4xx 0, 5xx 0)" in result.output
    assert "no prediction of iris-elsewhere was logged" in result.output


@pytest.mark.slow
def test_cli_stops_on_sigint_with_a_summary_and_exit_0(
    shared_server: ServerProcess, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELBEACON_")}
    args = ["--url", shared_server.url, "--rate", "600", "--status-interval", "1"]
    stderr_path = tmp_path / "stderr.log"
    log = stderr_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", APP_SNIPPET, "simulate", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while " ok " not in stderr_path.read_text():
            assert process.poll() is None and time.monotonic() < deadline, stderr_path.read_text()
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    stderr = stderr_path.read_text()
    assert process.returncode == 0, stderr
    assert "predictions ok" in stdout and "Traceback" not in stderr

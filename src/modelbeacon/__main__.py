"""``python -m modelbeacon`` is the ``modelbeacon`` command."""

from modelbeacon.cli import app

app(prog_name="modelbeacon")

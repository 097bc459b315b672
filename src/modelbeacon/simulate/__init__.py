"""The traffic simulator: realistic load through the public REST API (demo and benchmarks).

config     SimulationConfig: every knob, checked once
arrivals   RateWave + PoissonArrivals: when requests arrive (pure, seeded)
inputs     InputSampler + DriftSchedule: noisy dataset rows, true labels, drift (pure, seeded)
labels     LabelQueue: delayed feedback labels, a bounded heap (pure)
summary    TrafficCounters while running, SimulationSummary at the end
failures   classifying failed requests and reporting them, rate-limited
traffic    run_simulation: the run itself (sending, labels, retrains, status lines)
cli        register(app): the ``modelbeacon simulate`` command

The simulator is a client like any other: it talks to the server only through its REST API
and ``modelbeacon.client``, and its inputs are the rows of the server's own dataset
(``GET /api/datasets/{name}/rows``), so it imports nothing of the server's layers and loads
no scikit-learn. Import from the modules themselves. This file re-exports nothing on
purpose: ``cli`` imports ``traffic`` (and the client, with httpx) only when the command runs,
so ``modelbeacon --help`` does not pay for them.
"""

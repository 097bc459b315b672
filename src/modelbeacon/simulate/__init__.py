"""The traffic simulator: realistic load through the public REST API (demo and benchmarks).

config     SimulationConfig: every knob, checked once
arrivals   RateWave + PoissonArrivals: when requests arrive (pure, seeded)
inputs     InputSampler + DriftSchedule: noisy dataset rows, true labels, drift (pure, seeded)
labels     LabelQueue: delayed feedback labels, a bounded heap (pure)
summary    TrafficCounters while running, SimulationSummary at the end
failures   classifying failed requests and reporting them, rate-limited
traffic    run_simulation: the run itself (sending, labels, retrains, status lines)
cli        register(app): the ``modelbeacon simulate`` command

Import from the modules themselves. This file re-exports nothing on purpose: ``traffic``
loads scikit-learn (through the registry's datasets, ~2 s), and ``modelbeacon --help`` must
not pay for that; ``cli`` imports ``traffic`` only when the command runs.
"""

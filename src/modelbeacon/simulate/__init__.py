"""The traffic simulator: realistic load through the public REST API (demo and benchmarks).

config       SimulationConfig: every knob, checked once
arrivals     RateWave + PoissonArrivals: when requests arrive (pure, seeded)
inputs       InputSampler + DriftSchedule: noisy dataset rows, true labels, drift (pure, seeded)
labels       LabelQueue: delayed feedback labels, a bounded heap (pure)
summary      TrafficCounters while running, SimulationSummary at the end
failures     classifying failed requests and reporting them, rate-limited
run          SimulationRun: what every run shares (arrivals, labels, status lines, wind-down)
traffic      run_simulation: the model served here (predict, feedback, retrains)
local_model  LocalModel: a small scikit-learn pipeline fitted in this process
external     run_external_simulation: a model served elsewhere (its predictions made with a
             LocalModel and logged, labels in batches); run_with_external: both side by side
cli          register(app): the ``modelbeacon simulate`` command

The simulator is a client like any other: it talks to the server only through
``modelbeacon.client``, and its inputs are the rows of the server's own dataset
(``GET /api/datasets/{name}/rows``), so it imports nothing of the server's layers; only the
external run loads scikit-learn, for its own model. Import from the modules themselves. This
file re-exports nothing on purpose: ``cli`` imports ``traffic`` and ``external`` (and the
client, with httpx, and scikit-learn) only when the command runs, so ``modelbeacon --help``
does not pay for them.
"""

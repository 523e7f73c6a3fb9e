"""The `iamlog bench` commands: each measures one path and appends its figures to a file."""

import os

# The deployment the HTTP benchmarks measure unless told otherwise: one api process per core
# (SO_REUSEPORT on one port) beside one process running the processor and projector, as
# docs/operating.md "API processes per host" recommends. One all-in-one process is bounded by
# one core (its request path is CPU-bound Python), so it would measure the GIL, not iamlog.
API_WORKERS = os.cpu_count() or 1

"""The limits of the evaluator: the process that runs the hidden checks on student objects.

The batch's owner (the CLI process that writes the grades) never calls a student object: every
task runs in a spawned evaluator (`executors.local.LimitedPool`; Ray actors get the same
in-worker limits through `setup`). `EvaluatorLimits.for_options` says how much:

- `memory_mb`: the evaluator's soft RLIMIT_AS (`AUTOGRADER_EVALUATOR_MB`, default
  `DEFAULT_MEMORY_MB`; 0: none). Not under `--gpu`: RLIMIT_AS breaks CUDA's address-space
  reservations; there the bound is the host's (a Ray node's memory monitor, a container limit).
- `task_seconds`: the submission's deadline + `AUTOGRADER_EVALUATOR_GRACE_S` (default
  `DEFAULT_GRACE_S`): past it the owner kills the evaluator with everything under it, records
  the submission as over the deadline and goes on with the next one.
- inside the evaluator, `GradingOptions.check_timeout` bounds the time student models run in
  one hidden test (`sandbox.modelbound.check_clock`).
Importing this module imports nothing heavy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

DEFAULT_MEMORY_MB = 6144  # TF CPU + a warm grader: ~1-2.5 GB of address space (measured)
DEFAULT_GRACE_S = 60.0


@dataclass(frozen=True)
class EvaluatorLimits:
    memory_mb: int | None
    task_seconds: float

    @classmethod
    def for_options(cls, options: Any) -> EvaluatorLimits:
        """The limits for a batch graded with `GradingOptions` `options` (see module doc)."""
        mb = _env_number("AUTOGRADER_EVALUATOR_MB", DEFAULT_MEMORY_MB)
        grace = _env_number("AUTOGRADER_EVALUATOR_GRACE_S", DEFAULT_GRACE_S)
        memory = None if options.gpu or mb <= 0 else int(mb)
        return cls(memory, float(options.effective_deadline()) + max(0.0, grace))


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        from autograder.errors import AutograderError

        raise AutograderError(f"{name}={raw!r} is not a number") from None

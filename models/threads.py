"""How many CPU threads a model may use, for torch and ONNX Runtime alike.

A BERT forward pass is a chain of matrix products with no parallel branches, so both backends
get one intra-op thread per core this process may run on and no inter-op threads.
"""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which a container or `taskset` narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def configure_threads(threads: int | None = None) -> int:
    """Give torch one intra-op thread per core we may use and no extra inter-op threads."""
    import torch

    threads = threads or available_cores()
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only settable before the first parallel op; keep what is there
        pass
    return threads

"""Facts about the machine a run happens on, shared by `make execute` and `make bench`.

Both record where their figures come from (the run-record page and chapter 5 show them), so the
wording has to be the same in both places: "CPU only: 2 cores, AMD EPYC ..." or "GPU: <name>".
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, or what `platform` knows elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_device(gpu_names: list[str]) -> str:
    """One line naming the device a run used: the GPUs if TensorFlow saw any, else the CPU."""
    if gpu_names:
        return f"GPU: {', '.join(gpu_names)}"
    return f"CPU only: {os.cpu_count()} cores, {cpu_name()}"

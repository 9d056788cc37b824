"""Let NumPy's OpenBLAS use the CPU's AVX-512 kernels where it would not pick them itself.

OpenBLAS chooses its matrix-product kernels when it is loaded. Some CPUs with
AVX-512 (recent AMD EPYC among them) are run with its AVX2 "Haswell" kernels, at
about half the speed the hardware allows, while torch's oneDNN uses AVX-512. For a
fair comparison the benchmark sets ``OPENBLAS_CORETYPE=SkylakeX`` (OpenBLAS's AVX-512
kernels) before NumPy is imported, when the CPU reports every AVX-512 subset those
kernels need. A value the user has set is left alone: ``OPENBLAS_CORETYPE=Haswell
make bench`` measures the default choice.
"""

from __future__ import annotations

import os
import sys

_NEEDED = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    """The feature flags of the first CPU listed in ``path`` (empty where it cannot be read)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def choose_kernels() -> str:
    """Set ``OPENBLAS_CORETYPE`` if useful and still possible; say what was done."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} (set by the caller)"
    if "numpy" in sys.modules:
        return "NumPy was already imported; OpenBLAS keeps its own choice"
    if _NEEDED <= cpu_flags():
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        return "OPENBLAS_CORETYPE=SkylakeX (this CPU has AVX-512)"
    return "OpenBLAS's own choice (no AVX-512 on this CPU)"


def kernel_in_use() -> str:
    """The kernel family OpenBLAS reports, or 'unknown' without threadpoolctl."""
    try:
        import threadpoolctl
    except ImportError:
        return "unknown"
    for info in threadpoolctl.threadpool_info():
        if info.get("internal_api") == "openblas":
            return str(info.get("architecture", "unknown"))
    return "unknown"

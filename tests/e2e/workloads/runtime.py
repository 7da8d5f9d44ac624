# SPDX-License-Identifier: MIT
"""GC collections and imports for test_runtime.py. main() brackets run()
with the interpreter's own counts, taken with the collector disabled so
that no automatic collection falls outside run(): collections per
generation (gc.get_stats()) and the modules loaded (sys.modules)."""
import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def make_cycles(n):
    for _ in range(n):
        a = []
        a.append(a)     # garbage only the collector frees: automatic collections


def run():
    import rtpkg                # loads rtpkg and its submodules
    import rtpkg                # noqa: F811  already loaded: no import slice
    from rtpkg import rtsub     # noqa: F401  likewise
    try:
        import rtpkg_missing_module  # noqa: F401  a failed import
    except ImportError:
        pass
    for g in (0, 1, 2, 2, 1, 0):
        gc.collect(g)
    make_cycles(20000)
    return rtpkg.VALUE


def main():
    gc.disable()
    before = [s["collections"] for s in gc.get_stats()]
    mods = set(sys.modules)
    gc.enable()
    value = run()
    gc.disable()
    after = [s["collections"] for s in gc.get_stats()]
    loaded = sorted(set(sys.modules) - mods)
    gc.enable()
    return {"value": value, "gc": [a - b for a, b in zip(after, before)], "loaded": loaded}


if __name__ == "__main__":
    import _harness
    _harness.run(main)

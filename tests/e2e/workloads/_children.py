# SPDX-License-Identifier: MIT
"""The child processes' side of children.py (not a workload file itself:
nothing here is compared). run_child(ROLE, FN, *ARGS) calls FN(*ARGS);
under ground truth (E2E_GROUND_TRUTH=PATH inherited from the parent) it
runs it under ../ground_truth.py's profiler, which writes PATH.ROLE.PID."""
import functools
import os
import sys

_barrier = None


def run_child(role, fn, *args):
    out = os.environ.get("E2E_GROUND_TRUTH")
    if not out:
        return fn(*args)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import ground_truth
    if sys.version_info >= (3, 14):
        # a forked child inherits the parent's monitoring tool: freed here
        mon = sys.monitoring
        if mon.get_tool(mon.PROFILER_ID) is not None:
            mon.set_events(mon.PROFILER_ID, 0)
            mon.free_tool_id(mon.PROFILER_ID)
    else:
        sys.setprofile(None)
    return ground_truth.profile_call(functools.partial(fn, *args),
                                     "%s.%s.%d" % (out, role, os.getpid()))


def pool_init(barrier):
    global _barrier
    _barrier = barrier


def pool_task(fn, n):
    # both workers at once: each takes one task
    _barrier.wait()
    return run_child("pool", fn, n)

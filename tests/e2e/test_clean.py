# SPDX-License-Identifier: MIT
"""The tracer leaves nothing behind in the target: after it ends (by -d,
SIGINT, SIGTERM or SIGKILL) no byte of the probed file's code differs in the
target's memory (no int3 left), no USDT semaphore is raised, and the target
goes on to finish with the right output. The same checks are shown to fail
while the tracer is attached."""
import signal
import time

import pytest

import helpers
import procmem

ENDINGS = ["duration", "sigint", "sigterm", "sigkill"]


def probe_state(pid, interp):
    """(code differences, raised semaphores, eval-loop entry byte or None)"""
    diffs = procmem.text_differences(pid, interp.lib)
    sems = {}
    entry = None
    if interp.strategy == "usdt":
        sems = {k: v for k, v in procmem.semaphores(pid, interp.lib).items() if v}
    else:
        va = procmem.symbol_vaddr(interp.lib, "_PyEval_EvalFrameDefault")
        entry = procmem.first_byte(pid, interp.lib, va)
    return diffs, sems, entry


def assert_clean(state, when):
    diffs, sems, entry = state
    assert not diffs, "%s: code bytes differ from the file: %s" % (
        when, [(hex(a), hex(f), hex(m)) for a, f, m in diffs[:8]])
    assert not sems, "%s: USDT semaphores raised: %r" % (when, sems)
    if entry is not None:
        assert entry[0] == entry[1], "%s: _PyEval_EvalFrameDefault starts with 0x%x, file 0x%x" % (
            when, entry[1], entry[0])


def wait_clean(pid, interp, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        state = probe_state(pid, interp)
        if not state[0] and not state[1] and (state[2] is None or state[2][0] == state[2][1]):
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.05)


@pytest.mark.parametrize("ending", ENDINGS)
def test_no_probe_left(tracer, interp, ending, get_truth, tmp_path):
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    truth = get_truth(interp, wl)
    out = tmp_path / "t.json"
    target = helpers.Target(interp, wl, tmp_path, interp.attach_args)
    tr = None
    try:
        target.wait_ready()
        assert_clean(probe_state(target.pid, interp), "before tracing")

        extra = ["-d", "2"] if ending == "duration" else []
        tr = helpers.start_tracer_attached(tracer, target.pid, [out],
                                           extra + interp.tracer_args)
        diffs, sems, entry = probe_state(target.pid, interp)
        # the check can fail: probes are visible while tracing
        assert diffs, "no probe visible in the target while tracing"
        assert all(m == procmem.INT3 for _, _, m in diffs), diffs[:8]
        if interp.strategy == "usdt":
            assert sems.get("function__return"), "semaphore not raised while tracing: %r" % sems
        else:
            assert entry[1] == procmem.INT3, "no uprobe at _PyEval_EvalFrameDefault"

        if ending == "duration":
            rc = tr.wait(30)
        else:
            sig = {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM,
                   "sigkill": signal.SIGKILL}[ending]
            tr.proc.send_signal(sig)
            rc = tr.wait(30)
        if ending == "sigkill":
            assert rc == -signal.SIGKILL
        else:
            assert rc == 0, tr.describe()
            helpers.Chrome(out)     # a complete, valid output
        assert target.proc.poll() is None, "the target died with the tracer"
        assert_clean(wait_clean(target.pid, interp), "after the tracer ended (%s)" % ending)

        target.fire()
        assert target.wait(60) == 0, target.describe()
        assert target.out.text() == truth.stdout.rstrip("\n")
    finally:
        target.kill()
        if tr:
            tr.kill()

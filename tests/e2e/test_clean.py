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

# The endings on each interpreter. What is left behind depends on the
# probes of the interpreter's strategy and layout (every interpreter keeps
# an ending through the tracer's own detach, SIGINT, and the kernel's,
# SIGKILL); how the session ends does not: -d's timer, SIGINT and SIGTERM
# are read from one epoll (capture/feed.c: one signalfd for SIGINT, SIGTERM
# and SIGHUP, a timerfd for -d) and lead to the same detach. So -d and
# SIGTERM run on one interpreter per strategy (Debian's 3.11 with dispatch
# and USDT, 3.8 with eval, 3.12 with eval through the perf trampoline,
# 3.14 with dispatch), not on all twelve (~5 s a session).
EVERY_ENDING = {"debian3.11", "debian3.11-usdt", "pyenv3.8", "pyenv3.12-eval", "pyenv3.14"}
CASES = [(ident, ending) for ident in helpers.SUPPORTED for ending in ENDINGS
         if ident in EVERY_ENDING or ending in ("sigint", "sigkill")]


def probe_state(pid, interp):
    """(code differences, raised semaphores, eval-loop entry byte or None)"""
    diffs = procmem.text_differences(pid, interp.lib)
    sems = {}
    entry = None
    if interp.strategy == "usdt":
        sems = {k: v for k, v in procmem.semaphores(pid, interp.lib).items() if v}
    elif interp.strategy == "eval":
        # (the dispatch strategy's sites are inside the function: its entry
        # is probed only where gen.throw()'s branch has no site of its own;
        # the code differences cover every site)
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


@pytest.mark.parametrize("ident,ending", CASES)
def test_no_probe_left(tracer, get_interp, ident, ending, get_truth, tmp_path):
    interp = get_interp(ident)
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
        elif interp.strategy == "eval":
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

# SPDX-License-Identifier: MIT
"""Many greenlets on one thread (tests/e2e/test_greenlet.py).

TR_GREENLET_KIND: "greenlet" (plain greenlets switching to the main one
and back) or "gevent" (gevent.spawn'ed greenlets that gevent.sleep(0)).
Greenlet I (from 0) runs I % 7 + 2 rounds, so the greenlets differ in
their numbers of calls.

TR_GREENLET_EARLY=1: the greenlets are started, and run their first round,
before main() (before the attach, in attach mode): they are suspended,
their frames off the thread's frame chain, when the tracer attaches.

E2E_GREENLET_TRUTH=1: instead of a plain run, the ground truth, measured by
the interpreter: sys.setprofile counts calls, attributed to the greenlet
running, which greenlet.settrace follows (its 'switch' and 'throw'
events). Printed on stderr as `truth: {json}`: per greenlet (the main one
first, then in the order of their first call) the calls of this file's
functions by name.
"""
import json
import os
import sys

import greenlet

KIND = os.environ.get("TR_GREENLET_KIND", "greenlet")
N = 50


def leaf(n):
    return n + 1


def middle(n):
    return leaf(n) * 2


def work_greenlet(main, i):
    s = 0
    for r in range(i % 7 + 2):
        s += middle(r)
        main.switch()
    return s


def work_gevent(i):
    import gevent
    s = 0
    for r in range(i % 7 + 2):
        s += middle(r)
        gevent.sleep(0)
    return s


EARLY = os.environ.get("TR_GREENLET_EARLY") == "1"
started = {}


def start_greenlets():
    main = greenlet.getcurrent()
    gs = [greenlet.greenlet(work_greenlet) for _ in range(N)]
    for i, g in enumerate(gs):
        g.switch(main, i)
    started["greenlet"] = gs


def start_gevent():
    import gevent
    started["gevent"] = [gevent.spawn(work_gevent, i) for i in range(N)]
    gevent.sleep(0)


def run_greenlets():
    main = greenlet.getcurrent()
    gs = started.get("greenlet") or [greenlet.greenlet(work_greenlet) for _ in range(N)]
    results = [None] * N
    first = "greenlet" not in started
    while not all(g.dead for g in gs):
        for i, g in enumerate(gs):
            if not g.dead:
                r = g.switch(main, i) if first else g.switch()
                if g.dead:
                    results[i] = r
        first = False
    return sum(results)


def run_gevent():
    import gevent
    gs = started.get("gevent") or [gevent.spawn(work_gevent, i) for i in range(N)]
    gevent.joinall(gs)
    return sum(g.value for g in gs)


def main():
    return run_gevent() if KIND == "gevent" else run_greenlets()


def truth():
    """run main() under sys.setprofile, per greenlet"""
    here = os.path.abspath(__file__)
    state = {"cur": greenlet.getcurrent()}
    order = []		# greenlets in the order of their first counted call
    counts = {}		# id(greenlet) -> {name: calls}
    keep = []		# keeps the greenlets alive: ids stay unique

    def on_switch(event, args):
        if event in ("switch", "throw"):
            state["cur"] = args[1]

    def prof(frame, event, arg):
        if event != "call" or frame.f_code.co_filename != here:
            return
        g = state["cur"]
        c = counts.get(id(g))
        if c is None:
            c = counts[id(g)] = {}
            order.append(id(g))
            keep.append(g)
        name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
        c[name] = c.get(name, 0) + 1

    main_id = id(greenlet.getcurrent())
    counts[main_id] = {}
    order.append(main_id)
    greenlet.settrace(on_switch)
    sys.setprofile(prof)
    try:
        result = main()
    finally:
        sys.setprofile(None)
        greenlet.settrace(None)
    sys.stderr.write("truth: %s\n" % json.dumps(
        {"result": result, "greenlets": [counts[i] for i in order]}))
    return result


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if EARLY:
        start_gevent() if KIND == "gevent" else start_greenlets()
    if os.environ.get("E2E_GREENLET_TRUTH"):
        truth()
    else:
        import _harness
        _harness.run(main)

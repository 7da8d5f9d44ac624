# SPDX-License-Identifier: MIT
"""Ground truth for the end-to-end tests: per-function call counts measured
by CPython itself (sys.setprofile), in a separate process of the same
interpreter, never by the tracer.

Two halves:
  - profile_call(main, out): runs inside the workload process (imported by
    workloads/_harness.py). Installs a profile function for the current
    thread and for threads started afterwards, calls main(), removes them,
    writes the counts as JSON to OUT. Must stay valid Python 3.8.
  - ground_truth(python, workload): runs on the test side. Starts
    `PYTHON WORKLOAD` with E2E_GROUND_TRUTH set and returns the counts.

A "call" is a profile 'call' event (a Python frame starts or resumes: a
generator or coroutine counts once per resumption), a "return" a 'return'
event (return, yield or unwinding by an exception); c_call/c_return are
ignored. Functions are keyed by (name, absolute co_filename, co_firstlineno)
with name = co_qualname when the interpreter has it (3.11+), else co_name,
the same identity the tracer reports.

CPython 3.14+ is measured with sys.monitoring instead, without PY_UNWIND:
there a tool on PY_UNWIND changes what the program does. gen.close() of a
generator suspended at a yield outside any try block clears its frame
without running it, unless a tool monitors PY_UNWIND, and then it resumes
the frame to raise GeneratorExit in it (Objects/genobject.c gen_close,
_PyEval_NoToolsForUnwind): sys.setprofile, which uses PY_UNWIND, counts a
call the unprofiled program never makes. Calls are PY_START, PY_RESUME and
PY_THROW (setprofile's 'call' events in 3.12+), returns PY_RETURN and
PY_YIELD, and frames left by an exception (setprofile's unwinding
'return') are found on a per-thread shadow stack: those still above a
frame when it returns or yields.
"""
import json
import os
import subprocess
import sys
import threading


# ---- inside the workload process ----------------------------------------

def _name_of(code):
    return getattr(code, "co_qualname", code.co_name)


def _monitor(main, count):
    """3.14+: call main() with sys.monitoring events counted by COUNT(code,
    slot) (see the module's doc)."""
    mon = sys.monitoring
    ev = mon.events
    tool = mon.PROFILER_ID
    stacks = {}		# native thread id -> [code, ...] of running frames
    get_tid = threading.get_native_id

    def enter(code, *args):
        count(code, 1)
        stacks.setdefault(get_tid(), []).append(code)

    def leave(code, *args):
        count(code, 2)
        st = stacks.get(get_tid(), [])
        # frames above CODE's own left by an exception (a frame started
        # before monitoring began is in no stack: nothing popped)
        if code in st:
            while st:
                top = st.pop()
                if top is code:
                    break
                count(top, 2)

    mon.use_tool_id(tool, "e2e-ground-truth")
    try:
        for e in (ev.PY_START, ev.PY_RESUME, ev.PY_THROW):
            mon.register_callback(tool, e, enter)
        for e in (ev.PY_RETURN, ev.PY_YIELD):
            mon.register_callback(tool, e, leave)
        mon.set_events(tool, ev.PY_START | ev.PY_RESUME | ev.PY_THROW |
                       ev.PY_RETURN | ev.PY_YIELD)
        return main()
    finally:
        mon.set_events(tool, 0)
        mon.free_tool_id(tool)


def profile_call(main, out):
    """Call main() under the profiler and write what it saw to OUT."""
    tables = {}		# native thread id -> {id(code): [code, calls, returns]}
    get_tid = threading.get_native_id

    def count(code, slot):
        # each thread only ever touches its own table
        table = tables.get(get_tid())
        if table is None:
            table = tables.setdefault(get_tid(), {})
        entry = table.get(id(code))
        if entry is None:
            # keeping CODE alive keeps id(code) unique
            entry = table[id(code)] = [code, 0, 0]
        entry[slot] += 1

    def prof(frame, event, arg):
        if event == "call":
            count(frame.f_code, 1)
        elif event == "return":
            count(frame.f_code, 2)

    if sys.version_info >= (3, 14):
        result = _monitor(main, count)
    else:
        threading.setprofile(prof)
        sys.setprofile(prof)
        try:
            result = main()
        finally:
            sys.setprofile(None)
            threading.setprofile(None)

    merged = {}
    for tid, table in tables.items():
        for code, calls, returns in table.values():
            key = (_name_of(code), os.path.abspath(code.co_filename),
                   code.co_firstlineno)
            m = merged.setdefault(key, {"calls": 0, "returns": 0, "tids": []})
            m["calls"] += calls
            m["returns"] += returns
            if calls and tid not in m["tids"]:
                m["tids"].append(tid)
    rows = []
    for (name, fname, line), m in sorted(merged.items()):
        rows.append({"name": name, "file": fname, "line": line,
                     "calls": m["calls"], "returns": m["returns"],
                     "threads": len(m["tids"])})
    doc = {"pid": os.getpid(), "main_tid": threading.get_native_id(),
           "version": list(sys.version_info[:3]), "functions": rows}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, out)
    return result


# ---- on the test side ----------------------------------------------------

class GroundTruth(object):
    """What the profiler saw, restricted to FILES."""

    def __init__(self, doc, files, stdout):
        self.pid = doc["pid"]
        self.version = tuple(doc["version"])
        self.stdout = stdout
        files = set(files)
        self.rows = [r for r in doc["functions"] if r["file"] in files]
        self.calls = {}		# (name, file, line) -> calls
        self.returns = {}
        self.threads = {}
        for r in self.rows:
            if r["name"] == "<module>":
                continue	# started before the profiler on both sides
            key = (r["name"], r["file"], r["line"])
            self.calls[key] = r["calls"]
            self.returns[key] = r["returns"]
            self.threads[key] = r["threads"]

    def by_name(self, name):
        """calls of the functions called NAME (summed over files)"""
        return sum(n for (q, _, _), n in self.calls.items() if q == name)


def ground_truth(python, workload, files, env=None, timeout=120, tmpdir=None):
    """Run WORKLOAD with PYTHON under the profiler; return a GroundTruth
    restricted to FILES (absolute paths of the workload's own files)."""
    import tempfile
    d = tmpdir or tempfile.mkdtemp(prefix="e2e-gt-")
    out = os.path.join(str(d), "ground-truth-%s.json" % os.path.basename(workload))
    doc, stdout = run_profiled(python, workload, "E2E_GROUND_TRUTH", out, env, timeout)
    return GroundTruth(doc, files, stdout)


def run_profiled(python, workload, var, out, env=None, timeout=120):
    """Run WORKLOAD with PYTHON, VAR=OUT in its environment (the workload
    then writes its profile to OUT); return (the JSON document, stdout)."""
    if os.path.exists(out):
        os.unlink(out)
    e = dict(env if env is not None else os.environ)
    e[var] = out
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e.pop("E2E_TRIGGER", None)
    p = subprocess.run([python, workload], env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("ground truth run of %s with %s failed (%d):\n%s"
                           % (workload, python, p.returncode,
                              p.stderr.decode(errors="replace")))
    with open(out) as f:
        return json.load(f), p.stdout.decode()


if __name__ == "__main__":
    # manual use: ground_truth.py PYTHON WORKLOAD [FILE...]
    py, wl = sys.argv[1], os.path.abspath(sys.argv[2])
    files = [os.path.abspath(a) for a in sys.argv[3:]] or [wl]
    gt = ground_truth(py, wl, files)
    for (name, fname, line), n in sorted(gt.calls.items(), key=lambda kv: kv[0][2]):
        print("%6d %6d  %s  %s:%d" % (n, gt.returns[(name, fname, line)], name,
                                      os.path.basename(fname), line))

# SPDX-License-Identifier: MIT
"""Ground truth for C-function calls (--c-calls, issue 21): what CPython's
own profiler reports as c_call / c_return / c_exception, in a separate run
of the same interpreter, never the tracer's output.

Two halves, like ground_truth.py:
  - profile_call(main, out): inside the workload process. Runs main() under
    sys.setprofile and threading.setprofile and writes, for the C calls
    made from frames of the workload's own file:
      counts: qualified name -> {"calls", "returns", "exceptions"}
      sorted: each call of `sorted`, its duration and the calls of Python
              functions (by qualname) that began and ended inside it, with
              their durations (the PyTorch-profiler check).
    Must stay valid Python 3.8.
  - c_truth(python, workload): on the test side, runs it and returns that.

The qualified name is the one the tracer gives a C function: its bare
name for builtins (`sorted`, `len`), `module.name` for a module's function
(`time.sleep`, `math.sqrt`), `Type.name` for a method (`list.append`,
`str.join`, `int.from_bytes`).
"""
import json
import os
import sys
import threading
import time
import types


def c_name(f):
    """the tracer's name of the C function object F"""
    name = getattr(f, "__name__", "?")
    objclass = getattr(f, "__objclass__", None)
    if objclass is not None:		# an unbound method descriptor
        return "%s.%s" % (objclass.__qualname__, name)
    owner = getattr(f, "__self__", None)
    if owner is None or isinstance(owner, types.ModuleType):
        mod = getattr(f, "__module__", None)
        return name if mod in (None, "builtins") else "%s.%s" % (mod, name)
    if isinstance(owner, type):		# a classmethod of a C type
        return "%s.%s" % (owner.__qualname__, name)
    return "%s.%s" % (type(owner).__qualname__, name)


def profile_call(main, out):
    """Call main() under the profiler and write what it saw to OUT."""
    here = os.path.abspath(sys.modules[main.__module__].__file__)
    lock = threading.Lock()
    counts = {}
    stacks = {}		# thread id -> [[kind, name, start, inner], ...]
    sorts = []
    now = time.monotonic

    def prof(frame, event, arg):
        t = now()
        st = stacks.setdefault(threading.get_ident(), [])
        if event == "c_call":
            mine = os.path.abspath(frame.f_code.co_filename) == here
            st.append(["c", c_name(arg) if mine else None, t, []])
        elif event in ("c_return", "c_exception"):
            if not st or st[-1][0] != "c":
                return
            kind, name, start, inner = st.pop()
            if name is None:
                return
            with lock:
                c = counts.setdefault(name, {"calls": 0, "returns": 0, "exceptions": 0})
                c["calls"] += 1
                c["returns" if event == "c_return" else "exceptions"] += 1
                if name == "sorted":
                    sorts.append({"dur": t - start, "inner": inner})
        elif event == "call":
            st.append(["py", frame.f_code.co_name, t, []])
        elif event == "return":
            if not st or st[-1][0] != "py":
                return
            kind, name, start, inner = st.pop()
            for e in st:
                if e[0] == "c" and e[1] == "sorted":
                    e[3].append({"name": name, "dur": t - start})

    threading.setprofile(prof)
    sys.setprofile(prof)
    try:
        result = main()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    doc = {"version": list(sys.version_info[:3]), "counts": counts, "sorted": sorts,
           "result": repr(result)}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, out)
    return result


def c_truth(python, workload, tmpdir, timeout=120, env=None):
    """Run WORKLOAD with PYTHON (in ENV: the default's) under the profiler;
    return its document."""
    from ground_truth import run_profiled
    out = os.path.join(str(tmpdir), "c-truth-%s.json" % os.path.basename(python))
    return run_profiled(python, workload, "E2E_CCALL_TRUTH", out, env=env,
                        timeout=timeout)[0]


if __name__ == "__main__":
    # manual use: ccall_truth.py PYTHON WORKLOAD
    import tempfile
    doc = c_truth(sys.argv[1], os.path.abspath(sys.argv[2]), tempfile.mkdtemp())
    for name, c in sorted(doc["counts"].items()):
        print("%5d %5d %5d  %s" % (c["calls"], c["returns"], c["exceptions"], name))
    for s in doc["sorted"]:
        print("sorted: %.3f s, inner %s" % (s["dur"], s["inner"]))

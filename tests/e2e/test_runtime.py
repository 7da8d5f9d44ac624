# SPDX-License-Identifier: MIT
"""GC collections and imports on the timeline (workloads/runtime.py).

Ground truth is the interpreter's own bookkeeping in the traced run itself:
gc.get_stats() counts collections per generation and sys.modules lists the
modules loaded, both read by the workload around run() with the collector
disabled. Every collection and every module loaded inside run() must be a
slice on the thread, inside run()'s call, nested with the calls; each
module's import encloses the run of its body (its <module> call)."""
import ast
import collections
import decimal
import os

import pytest

import helpers
from test_pftrace import Trace

WORKLOAD = os.path.join(helpers.WORKLOADS, "runtime.py")
PKG = os.path.join(helpers.WORKLOADS, "rtpkg")
EPS = 0.0011	# µs: ts and dur are rounded to the ns


def result_of(text):
    for line in text.splitlines():
        if line.startswith("result: "):
            return ast.literal_eval(line[len("result: "):])
    raise AssertionError("no result line in:\n" + text[-2000:])


def module_file(name):
    """rtpkg.deep.rtleaf -> .../rtpkg/deep/rtleaf.py (or __init__.py)"""
    parts = name.split(".")
    base = os.path.join(helpers.WORKLOADS, *parts)
    return base + ".py" if os.path.exists(base + ".py") else os.path.join(base, "__init__.py")


def resolve(name, expected):
    """a relative import as written (".deep") -> the module it loaded"""
    if not name.startswith("."):
        return name
    tail = "." + name.lstrip(".")
    found = [m for m in expected if m.endswith(tail)]
    assert len(found) == 1, "cannot tell which module %r is among %r" % (name, expected)
    return found[0]


def inside(e, outer):
    return e["pid"] == outer["pid"] and e["tid"] == outer["tid"] and \
        e["ts"] >= outer["ts"] - EPS and e["ts"] + e["dur"] <= outer["ts"] + outer["dur"] + EPS


def check_runtime(chrome, result, interp):
    run = [c for c in chrome.calls if c["name"] == "run" and c["args"]["file"] == WORKLOAD]
    assert len(run) == 1, run
    run = run[0]
    within = [e for e in chrome.runtime if inside(e, run)]
    gcs = [e for e in within if e["cat"] == "gc"]
    imports = [e for e in within if e["cat"] == "import"]
    # every collection, by generation, as gc.get_stats() counted them
    by_gen = collections.Counter(e["args"]["generation"] for e in gcs)
    assert [by_gen[g] for g in range(3)] == result["gc"] and sum(by_gen.values()) == len(gcs), \
        "GC slices by generation %r, gc.get_stats() %r" % (dict(by_gen), result["gc"])
    assert all(e["args"]["unreachable"] >= 0 for e in gcs), gcs[:3]
    # every module loaded, once; the failed import too
    loaded = [resolve(e["args"]["module"], result["loaded"])
              for e in imports if e["args"]["loaded"] is True]
    assert sorted(loaded) == sorted(result["loaded"]), \
        "import slices %r, sys.modules gained %r" % (sorted(loaded), result["loaded"])
    failed = [e["args"]["module"] for e in imports if e["args"]["loaded"] is False]
    assert failed == ["rtpkg_missing_module"], failed
    # an import encloses its module's body
    for e in imports:
        if e["args"]["loaded"]:
            f = module_file(resolve(e["args"]["module"], result["loaded"]))
            body = [c for c in chrome.calls if c["name"] == "<module>" and
                    c["args"]["file"] == f and inside(c, e)]
            assert len(body) == 1, "%s: no <module> call of %s inside it" % (e["name"], f)
    # slices and calls nest on each thread
    bad = helpers.nesting_violations(chrome.calls + chrome.runtime)
    assert not bad, "slices do not nest: %r" % (bad[:3],)
    assert chrome.other["gc_collections"] == sum(1 for e in chrome.runtime if e["cat"] == "gc")
    assert chrome.other["imports"] == sum(1 for e in chrome.runtime if e["cat"] == "import")
    warnings = [w for p in chrome.other["processes"] for w in p["warnings"]]
    assert not [w for w in warnings if "not on the timeline" in w], warnings


@pytest.fixture(scope="module")
def runtime_run(tmp_path_factory):
    """runtime_run(tracer, interp) -> (outputs {json, pftrace, trace}, the
    workload's stdout) of one launched session per interpreter (cached:
    test_runtime_launch and test_runtime_pftrace_and_report read the same
    session; a failed session fails both, it is not run again)"""
    runs = {}

    def get(tracer, interp):
        if interp.id not in runs:
            d = tmp_path_factory.mktemp("runtime-" + interp.id)
            outs = {n: d / ("t." + n) for n in ("json", "pftrace", "trace")}
            args = [tracer]
            for o in outs.values():
                args += ["-o", str(o)]
            p = helpers.run(args + interp.tracer_args + ["--", interp.python, WORKLOAD],
                            timeout=120, env=helpers.target_env())
            runs[interp.id] = (outs, p)
        outs, p = runs[interp.id]
        assert p.returncode == 0, helpers.describe(p)
        return outs, p.stdout
    return get


def test_runtime_launch(tracer, interp, runtime_run):
    outs, stdout = runtime_run(tracer, interp)
    result = result_of(stdout)
    assert result["value"] == 121
    check_runtime(helpers.Chrome(outs["json"]), result, interp)


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.8", "pyenv3.12", "pyenv3.14"])
def test_runtime_attach(tracer, get_interp, ident, tmp_path):
    it = get_interp(ident)
    wl = helpers.Workload("runtime", ["runtime.py"])
    out = tmp_path / "t.json"
    target, _ = helpers.trace_attached(tracer, it, wl, tmp_path, [out], 120)
    check_runtime(helpers.Chrome(out), result_of(target.out.text()), it)


def exact_runtime(path):
    """the Chrome trace's GC/import slices: (thread, start ns, end ns, name)"""
    doc = helpers.load_chrome(path, parse_float=decimal.Decimal)
    out = []
    for e in doc["traceEvents"]:
        if e.get("ph") == "X" and e.get("cat") in ("gc", "import"):
            s = int(e["ts"] * 1000)
            out.append(((e["pid"], e["tid"]), s, s + int(e["dur"] * 1000), e["name"]))
    return sorted(out)


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.10"])
def test_runtime_pftrace_and_report(tracer, get_interp, ident, runtime_run, tmp_path):
    """the same slices in .pftrace and in `tracer report` of a recording"""
    it = get_interp(ident)
    o, _ = runtime_run(tracer, it)	# the session of test_runtime_launch
    outs = [o["json"], o["pftrace"], o["trace"]]
    want = exact_runtime(outs[0])
    assert len(want) > 10, want
    tr = Trace(outs[1], tmp_path)
    got = sorted((tr.thread_of(s["track"]), s["start"], s["end"], s["name"])
                 for s in tr.slices if s["cats"] in (["gc"], ["import"]))
    assert got == want, "pftrace slices differ from the Chrome trace's"
    rep = tmp_path / "r.json"
    p = helpers.run([tracer, "report", str(outs[2]), "-o", str(rep)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    assert helpers.sorted_events(helpers.Chrome(rep).events) == \
        helpers.sorted_events(helpers.Chrome(outs[0]).events)


@pytest.mark.parametrize("ident", ["pyenv3.12", "pyenv3.14"])
def test_runtime_stripped(tracer, get_interp, ident, tmp_path_factory, monkeypatch, tmp_path):
    """a stripped copy of the libpython (LD_LIBRARY_PATH): the collector is
    found from the code (no gc_collect_main symbol), every collection on the
    timeline with its generation; 3.12 and 3.14 for the two collectors
    (generational, incremental) of the versions this applies to (3.10+)"""
    from test_exact_stripped import stripped_lib
    it = get_interp(ident)
    libdir, lib = stripped_lib(it, tmp_path_factory)
    monkeypatch.setenv("LD_LIBRARY_PATH", libdir)
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "-o", str(out)] + it.tracer_args + ["--", it.python, WORKLOAD],
                    timeout=120, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    assert "(%s)" % lib in p.stderr, p.stderr[-3000:]
    check_runtime(helpers.Chrome(out), result_of(p.stdout), it)

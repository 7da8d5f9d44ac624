# SPDX-License-Identifier: MIT
"""Exact tracing with the dispatch strategy on builds without symbols or
DWARF, where exit_unwind is found by code analysis
(user/cpython/unwind_site.c):
  - copies of each pyenv libpython 3.11-3.14 run through
    `strip --strip-all` and used through LD_LIBRARY_PATH (launch, attach);
  - Debian's /usr/bin/python3.11 (PGO+LTO, non-PIE, stripped).
Call counts == sys.setprofile ground truth measured in a separate run of
the same interpreter with the same library, on the usual workloads and an
exceptions-heavy one (frames left through exit_unwind) and one of
gen.throw()s through `yield from`/await delegates (throws.py: seen at the
branch of the evaluator only a throw takes, user/cpython/throw_site.c, and
nested where sys.setprofile nests them); on the copies, every
dispatch site emulated but 3.13's YIELD_VALUE, which the tracer names before
tracing (a stripped 3.12's exit_unwind is found from the jumps into it:
user/cpython/exit_preds.c)."""
import os
import shutil
import subprocess

import pytest

import helpers
from ground_truth import ground_truth
from test_exact import TIMEOUT, check_trace, pid_from_stderr

EXC = helpers.Workload("exceptions", ["exceptions.py"])
THROWS = helpers.Workload("throws", ["throws.py"])
WORKLOADS = {w.name: w for w in helpers.WORKLOAD_LIST + [EXC, THROWS]}
STRIPPED = ["pyenv3.11", "pyenv3.12", "pyenv3.13", "pyenv3.14"]
NOTE = "exit_unwind, where frames that exceptions leave are seen, was found by code analysis"

_copies = {}
_truths = {}


def stripped_lib(interp, tmp_path_factory):
    """a copy of INTERP's libpython through strip --strip-all: its folder"""
    if interp.id not in _copies:
        d = tmp_path_factory.mktemp("stripped-" + interp.id)
        lib = os.path.join(str(d), os.path.basename(interp.lib))
        shutil.copy(interp.lib, lib)
        subprocess.run(["strip", "--strip-all", lib], check=True)
        out = subprocess.run(["readelf", "-S", "--wide", lib], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        assert ".symtab" not in out and ".debug_info" not in out, out
        _copies[interp.id] = (str(d), lib)
    return _copies[interp.id]


def truth_of(interp, workload, env, tag):
    key = (interp.python, workload.name, tag)
    if key not in _truths:
        _truths[key] = ground_truth(interp.python, workload.path, workload.files, env=env)
    return _truths[key]


@pytest.fixture
def stripped(get_interp, tmp_path_factory, monkeypatch, request):
    """(interp, library copy) with LD_LIBRARY_PATH set for every target"""
    interp = get_interp(request.param)
    libdir, lib = stripped_lib(interp, tmp_path_factory)
    monkeypatch.setenv("LD_LIBRARY_PATH", libdir)
    return interp, lib


def check_said(err, lib):
    """the copy is the file probed, and the tracer says where the label came from"""
    assert "(%s), strategy dispatch" % lib in err, err[-3000:]
    assert NOTE in err, err[-3000:]


def run_launch(tracer, interp, workload, truth, tmp_path, args=()):
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "-o", str(out)] + list(args) + ["--", interp.python, workload.path],
                    timeout=TIMEOUT, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    assert truth.stdout in p.stdout, "workload output changed\n" + helpers.describe(p)
    chrome = helpers.Chrome(out)
    check_trace(chrome, interp, workload, truth, pid_from_stderr(p.stderr), "launch")
    assert chrome.counter("unmatched_returns") == 0, chrome.other
    return p.stderr, chrome


def run_attach(tracer, interp, workload, truth, tmp_path, args=()):
    out = tmp_path / "t.json"
    target = helpers.Target(interp, workload, tmp_path)
    tr = None
    try:
        target.wait_ready()
        tr = helpers.start_tracer_attached(tracer, target.pid, [out], args)
        target.fire()
        assert target.wait(TIMEOUT) == 0, target.describe()
        assert tr.wait(30) == 0, tr.describe()
    finally:
        target.kill()
        if tr:
            tr.kill()
    assert target.out.text() == truth.stdout.rstrip("\n")
    chrome = helpers.Chrome(out)
    check_trace(chrome, interp, workload, truth, target.pid, "attach")
    return tr.err.text(), chrome


@pytest.mark.parametrize("mode", ["launch", "attach"])
@pytest.mark.parametrize("wname", sorted(WORKLOADS))
@pytest.mark.parametrize("stripped", STRIPPED, indirect=True)
def test_stripped_pyenv(tracer, stripped, wname, mode, tmp_path):
    interp, lib = stripped
    workload = WORKLOADS[wname]
    truth = truth_of(interp, workload, helpers.target_env(), "stripped")
    run = run_launch if mode == "launch" else run_attach
    err, chrome = run(tracer, interp, workload, truth, tmp_path)
    check_said(err, lib)
    said = [w for p in chrome.other.get("processes", []) for w in p.get("warnings", [])]
    assert any(NOTE in w for w in said), said
    # every site emulated, a stripped 3.12's exit_unwind too (exit_preds.c),
    # but 3.13's YIELD_VALUE, which has no emulated instruction: said
    slow = [ln for ln in err.splitlines() if "single-steps" in ln]
    if interp.version[:2] == (3, 13):
        assert len(slow) == 1 and slow[0].endswith(": YIELD_VALUE"), slow
    else:
        assert not slow, slow


@pytest.mark.parametrize("mode", ["launch", "attach"])
@pytest.mark.parametrize("wname", sorted(WORKLOADS))
def test_debian_dispatch(tracer, get_interp, get_truth, formats_run, wname, mode, tmp_path):
    """Debian's 3.11 takes dispatch by itself: on the usual workloads the
    session shared with every format's test (formats_run.py, no --strategy:
    Debian's default, checked to be dispatch) is checked here; the
    exceptions workload, its own, with --strategy dispatch forced"""
    interp = get_interp("debian3.11")
    interp.strategy = "dispatch"
    workload = WORKLOADS[wname]
    if wname == EXC.name:
        truth = truth_of(interp, workload, helpers.target_env(), "debian")
        run = run_launch if mode == "launch" else run_attach
        err, _ = run(tracer, interp, workload, truth, tmp_path, ["--strategy", "dispatch"])
    else:
        truth = get_truth(interp, workload)
        r = formats_run(tracer, interp, workload, mode)
        if mode == "launch":
            assert truth.stdout in r["stdout"], "workload output changed\n" + r["stdout"][-2000:]
        else:
            assert r["stdout"] == truth.stdout.rstrip("\n")
        chrome = helpers.Chrome(r["json"])
        check_trace(chrome, interp, workload, truth, r["pid"], mode)
        if mode == "launch":
            assert chrome.counter("unmatched_returns") == 0, chrome.other
        err = r["tracer_stderr"]
    check_said(err, os.path.realpath(interp.python))


@pytest.mark.parametrize("wname", ["exceptions", "throws"])
@pytest.mark.parametrize("mode", ["launch", "attach"])
def test_debian_usdt_still_exact(tracer, get_interp, mode, wname, tmp_path):
    """USDT (+ line), no longer the default on Debian's 3.11, stays exact
    when forced (coverage takes it for its line events); gen.throw()
    through a delegate nests as sys.setprofile has it (usdt_yield_op in
    include/tracer.h)"""
    interp = get_interp("debian3.11")
    interp.strategy = "usdt"
    workload = WORKLOADS[wname]
    truth = truth_of(interp, workload, helpers.target_env(), "debian")
    run = run_launch if mode == "launch" else run_attach
    err, _ = run(tracer, interp, workload, truth, tmp_path, ["--strategy", "usdt"])
    assert "strategy usdt" in err, err[-3000:]

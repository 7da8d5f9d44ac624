# SPDX-License-Identifier: MIT
"""Fixtures of the end-to-end tests (run as root, with real BPF and real
interpreters): `tracer` (path of build/tracer), `interp` (parametrized over
the supported interpreters: debian3.11, pyenv3.8 ... pyenv3.13), `workload`
(parametrized over workloads/), `truth` (ground truth of an interpreter and
a workload, measured once per session by ground_truth.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpers  # noqa: E402
from ground_truth import ground_truth  # noqa: E402
from formats_run import run_formats  # noqa: E402


def _tracer_path():
    p = os.environ.get("TRACER") or os.path.join(helpers.REPO, "build", "tracer")
    return os.path.abspath(p)


@pytest.fixture(scope="session")
def tracer():
    """build/tracer (or $TRACER); skips when not built, fails when not root"""
    path = _tracer_path()
    if not os.access(path, os.X_OK):
        pytest.skip("tracer not built: %s does not exist (run make)" % path)
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests must run as root (BPF, /proc/PID/mem)")
    return path


def _interp(ident):
    it, why = helpers.find_interp(ident)
    if it is None:
        if ident.startswith("debian"):
            pytest.fail("Debian's interpreter is required: %s" % why)
        print("skipping %s: %s" % (ident, why))
        pytest.skip(why)
    return it


@pytest.fixture(params=helpers.SUPPORTED)
def interp(request):
    """a supported interpreter (skipped when not installed)"""
    return _interp(request.param)


@pytest.fixture(scope="session")
def get_interp():
    """get_interp("pyenv3.10") -> Interp, skipping when absent"""
    return _interp


@pytest.fixture(params=[w.name for w in helpers.WORKLOAD_LIST])
def workload(request):
    return helpers.WORKLOAD_BY_NAME[request.param]


@pytest.fixture(scope="session")
def _truth_cache(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("ground-truth"), "runs": {}}


@pytest.fixture(scope="session")
def get_truth(_truth_cache):
    """get_truth(interp, workload) -> ground_truth.GroundTruth (cached)"""
    def get(interp, workload):
        key = (interp.python, workload.name)
        runs = _truth_cache["runs"]
        if key not in runs:
            runs[key] = ground_truth(interp.python, workload.path, workload.files,
                                     env=helpers.target_env(),
                                     tmpdir=_truth_cache["dir"])
        return runs[key]
    return get


@pytest.fixture
def truth(get_truth, interp, workload):
    return get_truth(interp, workload)


@pytest.fixture
def nobody_dir():
    """a directory under /tmp owned by nobody, removed after the test
    (hostile.py: targets run as nobody)"""
    import hostile
    d = hostile.make_nobody_dir()
    yield d
    hostile.remove_dir(d)


@pytest.fixture(scope="session")
def formats_run(tmp_path_factory):
    """formats_run(tracer, interp, workload, mode) -> paths of one run
    writing every format (formats_run.py), cached per session: test_exact,
    test_folded, test_speedscope, test_pprof, test_pftrace and
    test_recording read the same run"""
    runs = {}

    def get(tracer, interp, workload, mode="launch"):
        key = (interp.id, workload.name, mode)
        if key not in runs:
            d = tmp_path_factory.mktemp("formats-%s-%s-%s" % key)
            try:
                runs[key] = run_formats(tracer, interp, workload, d, mode)
            except AssertionError as e:
                # a failed run fails every test that reads it (not run
                # again: no second chance for a flaky session)
                runs[key] = e
        if isinstance(runs[key], AssertionError):
            raise AssertionError("the shared %s run failed: %s" % (key, runs[key]))
        return runs[key]
    return get

# SPDX-License-Identifier: MIT
"""The ground-truth side alone (no tracer needed): the profiler counts what
the workloads are known to do, by hand, on every interpreter."""
import collections
import os

import helpers
from ground_truth import ground_truth


def short(name):
    return name.rsplit(".", 1)[-1]


def by_short_name(truth):
    c = collections.Counter()
    for (name, fname, line), n in truth.calls.items():
        c[(short(name), os.path.basename(fname))] += n
    return c


# counts worked out from the source of the workloads
MIXED = {
    "recurse": 451, "square": 186, "worker": 4, "run_threads": 1,
    "chain": 9, "gen_work": 1, "<genexpr>": 5,
    "leaf": 6, "middle": 9, "amain": 2,
    "fail_deep": 28, "cleanup_then_fail": 1, "catch_failures": 1,
    "make_classes": 1, "Shape": 1, "Square": 1, "__init__": 6,
    "size": 18, "make": 6, "describe": 6, "area": 6, "use_classes": 1,
    "logged": 2, "wrapper": 14, "use_decorators": 1, "add": 7, "mul": 7,
    "neg": 20, "reentry": 1, "<lambda>": 28, "main": 1,
}
MULTIFILE = {
    ("compute", "multifile.py"): 300, ("compute", "multifile_helper.py"): 600,
    ("Accumulator", "multifile_helper.py"): 1, ("__init__", "multifile_helper.py"): 1, ("add", "multifile_helper.py"): 300,
    ("outer", "multifile.py"): 20, ("inner", "multifile.py"): 100,
    ("innermost", "multifile.py"): 100, ("<genexpr>", "multifile.py"): 120,
    ("café", "multifile.py"): 20, ("Ωmega", "multifile.py"): 20,
    ("grüße", "multifile_helper.py"): 60, ("関数", "multifile_helper.py"): 40,
    ("𠀀𠀁", "multifile_helper.py"): 20, ("main", "multifile.py"): 1,
}


def test_ground_truth_counts(interp, workload, truth):
    for key, n in truth.calls.items():
        assert truth.returns[key] == n, "calls != returns for %r" % (key,)
    got = by_short_name(truth)
    if workload.name == "mixed":
        want = {(k, "mixed.py"): v for k, v in MIXED.items()}
        # 3.13 closes a generator suspended outside any try without
        # resuming its frame; before, close() resumes it once
        want[("countdown", "mixed.py")] = 17 if interp.version >= (3, 13) else 18
        # list comprehensions are frames until 3.11 (PEP 709 inlines them)
        if interp.version < (3, 12):
            want[("<listcomp>", "mixed.py")] = 2
        worker = [k for k in truth.calls if short(k[0]) == "worker"]
        assert [truth.threads[k] for k in worker] == [4]
        main = [k for k in truth.calls if k[0] == "main"]
        assert truth.threads[main[0]] == 1
    else:
        want = dict(MULTIFILE)
    assert dict(got) == want
    # names: co_qualname from 3.11, co_name before
    names = {k[0] for k in truth.calls}
    if interp.version >= (3, 11):
        assert ("make_classes.<locals>.Shape.size" in names
                or "Accumulator.add" in names)
    else:
        assert not any("." in n for n in names)
    for name, fname, line in truth.calls:
        assert os.path.isabs(fname) and fname in workload.files
        assert line > 0


def test_ground_truth_deterministic(interp, workload, truth, tmp_path):
    again = ground_truth(interp.python, workload.path, workload.files,
                         env=helpers.target_env(), tmpdir=tmp_path)
    assert again.calls == truth.calls
    assert again.stdout == truth.stdout


def test_profiler_does_not_change_result(interp, workload, truth):
    p = helpers.run([interp.python, workload.path], env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    assert p.stdout == truth.stdout
    assert p.stdout.startswith("result: ")


def test_attach_variant_waits_for_trigger(interp, tmp_path):
    w = helpers.WORKLOAD_BY_NAME["multifile"]
    t = helpers.Target(interp, w, tmp_path, interp.attach_args)
    try:
        t.wait_ready()
        assert t.proc.poll() is None
        assert t.out.wait_for("result:", 0.3) is None   # not before the trigger
        t.fire()
        assert t.wait(30) == 0, t.describe()
        assert t.out.wait_for("result:", 5) is not None
    finally:
        t.kill()

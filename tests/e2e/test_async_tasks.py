# SPDX-License-Identifier: MIT
"""asyncio tasks (--async-tasks; workloads/async_tasks.py): 200 tasks on one
loop, two thirds named by create_task, the others asyncio's "Task-N", plus
asyncio.run's main task and one child task.

Ground truth, in a separate run of the same interpreter: sys.setprofile
records asyncio.current_task().get_name() at every call of one of the
workload's coroutines (each start and each resumption). The Chrome trace
must give each of those calls the same task (args.task), so the multisets
of (function, task) are equal; each task's calls are on a track of its own
("task NAME"), nested like a stack; the Perfetto trace has the same tracks
under the thread's, and the `task` debug annotation on each slice; the
summary and the metadata count the tasks.

Matrix, one traced session per case (several asserts each): Debian's 3.11
(dispatch on a stripped build, _asyncio an extension module, a task name
always a str), launched and attached (attached, asyncio's table is found
before the first event: every resumption exact; launched, it is found a
few ms after asyncio is imported: a resumption before that carries no
task, and must be counted and said); pyenv 3.12 launched (3.12+ names a
default task lazily: the Task holds an int until get_name(), read as
"Task-N"; 3.13 has 3.12's reading with other offsets); pyenv 3.14 attached
(the running task read from the thread state, not from _asyncio's table).
3.10 is refused with its reason, before anything is traced.

Greenlets and the eval strategy: no interpreter traced with eval here has
greenlet (Debian's python3-greenlet is for 3.11, where eval is refused;
pyenv builds have none), so the eval warning is checked with what the
tracer actually looks at: a file mapped under greenlet's extension name
(attached; a copy of an unrelated library loaded with ctypes), and a
package `greenlet` whose module runs during the session (launched). Debian's
3.11 importing the real greenlet under dispatch (exact) says nothing.
"""
import collections
import glob
import json
import os
import re
import shutil

import pytest

import helpers
from test_pftrace import Trace
from test_pprof import one

WORKLOAD = helpers.Workload("async_tasks", ["async_tasks.py"])
COROS = {"amain", "job", "helper", "leaf", "child"}
CASES = [("debian3.11", "launch"), ("debian3.11", "attach"), ("pyenv3.12", "launch"),
         ("pyenv3.14", "attach")]


@pytest.fixture(scope="module", params=CASES, ids=["%s-%s" % c for c in CASES])
def session(request, tracer, get_interp, tmp_path_factory):
    ident, mode = request.param
    interp = get_interp(ident)
    tmp = tmp_path_factory.mktemp("async-%s-%s" % (ident, mode))
    p = helpers.run([interp.python, WORKLOAD.path], timeout=120,
                    env=helpers.target_env({"E2E_ASYNC_TRUTH": "1"}))
    assert p.returncode == 0, helpers.describe(p)
    truth = collections.Counter(helpers.json_truth(p.stderr))
    out, pf, rec = tmp / "t.json", tmp / "t.pftrace", tmp / "t.trace"
    err, summary = helpers.run_both_ways(tracer, interp, WORKLOAD, mode, tmp,
                                         [out, pf, rec, "-"], ["--async-tasks"])
    return {"mode": mode, "truth": truth, "chrome": helpers.Chrome(out),
            "pf": Trace(pf, tmp), "summary": summary, "err": err, "rec": rec, "tmp": tmp,
            "tracer": tracer}


def coroutine_calls(chrome):
    return [e for e in chrome.in_files(WORKLOAD.files)
            if e["name"] in COROS and not e["args"].get("began_before_attach")]


def session_args(chrome):
    return chrome.other


def test_each_resumption_has_its_task(session):
    truth, chrome = session["truth"], session["chrome"]
    calls = coroutine_calls(chrome)
    ours = collections.Counter("%s|%s" % (e["name"], e["args"].get("task", "")) for e in calls)
    assert sum(truth.values()) > 2500 and len({k.split("|")[1] for k in truth}) == 202
    st = session_args(chrome)
    if session["mode"] == "attach" or not st["async_unknown"]:
        # attached, the table is found before the first event; launched,
        # before the first task's step unless that comes within ms of
        # asyncio's import
        assert ours == truth
        assert st["async_unknown"] == 0
        return
    # launched: the resumptions before the table was found carry no task,
    # and are counted; every task given is the interpreter's
    told = collections.Counter({k: v for k, v in ours.items() if not k.endswith("|")})
    assert not told - truth, (told - truth).most_common(5)
    untold = truth - told
    assert sum(ours.values()) == sum(truth.values())
    assert sum(untold.values()) <= st["async_unknown"]
    assert sum(untold.values()) < sum(truth.values()) // 10
    if st["async_unknown"]:
        assert any("--async-tasks" in w for w in st["warnings"])


def test_a_track_per_task(session):
    chrome = session["chrome"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in chrome.events
             if e.get("ph") == "M" and e["name"] == "thread_name"}
    by_track = collections.defaultdict(list)
    for e in chrome.events:
        if e.get("ph") == "X":
            task = e["args"].get("task")
            track = names.get((e["pid"], e["tid"]), "")
            # a call with a task is on its track; one without on no task's
            assert (track == "task " + task) if task else not track.startswith("task ")
            by_track[e["tid"]].append(e)
    tasks = {n for n in names.values() if n.startswith("task ")}
    st = session_args(chrome)
    assert len(tasks) == st["async_tasks"] >= 200 - st["async_unknown"]
    assert "task job-1" in tasks and "task child-of-7" in tasks
    for tid, evs in by_track.items():
        assert not helpers.nesting_violations(evs), tid


def test_pftrace_tracks_and_annotations(session):
    tr, chrome = session["pf"], session["chrome"]
    task_tracks = {u: one(td, "name")[len("task "):] for u, td in tr.tracks.items()
                   if one(td, "name", "").startswith("task ")}
    for u in task_tracks:
        assert "thread" in tr.tracks[one(tr.tracks[u], "parent_uuid")]
    got = collections.Counter()
    for s in tr.slices:
        if s["track"] in task_tracks:
            assert s["args"].get("task") == task_tracks[s["track"]]
            got[(s["name"], s["args"]["task"])] += 1
        else:
            assert "task" not in s["args"]
    want = collections.Counter((e["name"], e["args"]["task"]) for e in chrome.events
                               if e.get("ph") == "X" and "task" in e["args"])
    assert got == want and len(got) > 600


def test_summary_counts_tasks(session):
    st = session_args(session["chrome"])
    m = re.search(r"^asyncio \(--async-tasks\): (\d+) tasks, (\d+) steps of a task's "
                  r"coroutine, (\d+) coroutine resumptions whose task is unknown$",
                  session["summary"], re.M)
    assert m, session["summary"][-3000:]
    assert [int(x) for x in m.groups()] == [st["async_tasks"], st["async_steps"],
                                            st["async_unknown"]]
    assert st["async_steps"] >= 200 * 2


def test_recording_says_it_keeps_no_tasks(session):
    if session["mode"] != "launch":
        pytest.skip("said by the tracer's stderr: checked launched")
    assert ("tracer: warning: --async-tasks: a recording (.trace) does not keep the tasks"
            in session["err"])
    out = session["tmp"] / "r.json"
    p = helpers.run([session["tracer"], "report", str(session["rec"]), "-o", str(out)])
    assert p.returncode == 0, helpers.describe(p)
    calls = coroutine_calls(helpers.Chrome(out))
    assert len(calls) == len(coroutine_calls(session["chrome"]))
    assert not any("task" in e["args"] for e in calls)


def test_refused_where_not_read(tracer, tmp_path):
    """3.10 has no frame inside its coroutine: refused before tracing, no
    output"""
    for ident in ("pyenv3.10",):
        it, why = helpers.find_interp(ident)
        if it is None:
            print("skipping %s: %s" % (ident, why))
            continue
        out = tmp_path / ("%s.json" % ident)
        p = helpers.run([tracer, "--async-tasks", "-o", str(out), "--", it.python, "-c",
                         "print('ran')"], timeout=60)
        assert p.returncode == 1 and "ran" not in p.stdout, helpers.describe(p)
        assert "--async-tasks: asyncio's tasks are read on CPython 3.11-3.14" in p.stderr
        assert not out.exists()
    p = helpers.run([tracer, "--async-tasks", "--sample", "-p", "1"])
    assert p.returncode != 0 and "--async-tasks" in p.stderr


GREENLET_WARNING = "eval: greenlet is loaded, and this strategy cannot tell greenlets apart"


def eval_interp_or_skip():
    for ident in ("pyenv3.10", "pyenv3.9", "pyenv3.8"):
        it, why = helpers.find_interp(ident)
        if it is not None:
            return it
    pytest.skip("no pyenv 3.8-3.10 (the eval strategy without -X perf)")


def test_greenlet_under_eval_is_said(tracer, tmp_path):
    it = eval_interp_or_skip()
    # attached: a file under greenlet's extension name is mapped (what
    # /proc/PID/maps shows of a real greenlet); said before tracing and in
    # the outputs, as a warning of the process
    libz = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libz.so.1*"))[0]
    pkg = tmp_path / "greenlet"
    pkg.mkdir()
    so = pkg / ("_greenlet.cpython-%d%d-x86_64-linux-gnu.so" % it.version)
    shutil.copy(libz, str(so))
    code = ("import ctypes, sys, time; ctypes.CDLL(%r); sys.stderr.write('workload: ready\\n');"
            "sys.stderr.flush(); time.sleep(30)" % str(so))
    t = helpers.Spawned([it.python, "-c", code], env=helpers.target_env())
    try:
        assert t.err.wait_for("workload: ready", 30), t.describe()
        out = tmp_path / "a.json"
        p = helpers.run([tracer, "-p", str(t.pid), "-d", "1", "-o", str(out), "-o", "-"],
                        timeout=60)
        assert p.returncode == 0, helpers.describe(p)
    finally:
        t.kill()
    said = p.stderr.index("tracer: warning: " + GREENLET_WARNING)
    assert said < p.stderr.index("tracer: tracing PID")
    assert "warning: " + GREENLET_WARNING in p.stdout
    procs = session_args(helpers.Chrome(out))["processes"]
    assert any(w.startswith(GREENLET_WARNING) for w in procs[0]["warnings"])
    # launched: greenlet's package runs during the session: said at the end
    (pkg / "__init__.py").write_text("X = 1\n")
    out = tmp_path / "l.json"
    p = helpers.run([tracer, "-o", str(out), "-o", "-", "--", it.python, "-c",
                     "import sys; sys.path.insert(0, %r); import greenlet" % str(tmp_path)],
                    timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    assert "warning: " + GREENLET_WARNING in p.stdout
    assert any(w.startswith(GREENLET_WARNING) for w in session_args(helpers.Chrome(out))["warnings"])
    # and not when greenlet's package is not there
    p = helpers.run([tracer, "-o", "-", "--", it.python, "-c", "import json"], timeout=60)
    assert p.returncode == 0 and GREENLET_WARNING not in p.stdout + p.stderr


def test_greenlet_under_dispatch_says_nothing(tracer, get_interp):
    it = get_interp("debian3.11")
    p = helpers.run([it.python, "-c", "import greenlet"])
    if p.returncode:
        pytest.skip("Debian's python3-greenlet is not installed")
    p = helpers.run([tracer, "-o", "-", "--", it.python, "-c", "import greenlet, gevent"],
                    timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    assert "strategy dispatch" in p.stderr
    assert GREENLET_WARNING not in p.stdout + p.stderr

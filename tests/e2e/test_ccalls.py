# SPDX-License-Identifier: MIT
"""--c-calls (issue 21): calls of C functions, as sys.setprofile's c_call.

Traced on CPython 3.11 to 3.14 with the dispatch strategy (docs/c-calls.md):
one traced session per interpreter and mode (launch, attach) of
workloads/ccalls.py on pyenv 3.12, 3.13 and 3.14 (each lays the value stack
under a call out differently), on 3.11 (PRECALL and CALL: its own sites and
profiler) both as pyenv's build and as Debian's (PGO+LTO, stripped, non-PIE:
the C functions called directly, PyObject_Size inlined), and on a stripped
copy of pyenv's 3.12 library (launch: attached, it probes the same sites),
read by several tests: the
tracer's C calls made by the workload's own functions, per name, equal the
ground truth's (sys.setprofile in a separate run, ccall_truth.py), with no
end missed and nothing lost; the PyTorch-profiler check (one `sorted`
lasting at least its key calls' sleeps, the key calls nested in it) in the
.json and the .pftrace; [C] frames in .folded and rows in the summary; the
recording's report gives the same C calls.

Elsewhere the option is refused before anything runs (checked on Debian's
3.11 with the usdt strategy: no file left, the command not run).

The call forms where the versions' profilers decide differently
(workloads/ccalls_forms.py: bound methods of builtins and of method
descriptors, which 3.11, 3.12.1, 3.13.0 and 3.14 report differently and the
tracer asks the interpreter about; a descriptor called through f(*[]);
len() of a mapping through Debian's inlined PyObject_Size; 3.14's
specialized CALL_KW) are checked on Debian's 3.11 and on pyenv 3.12, 3.13
and 3.14, launched (attach probes the same sites).

The ground truth itself is checked to be fit on the two code paths of the
issue: Debian's 3.11 (PRECALL_* specializations) and pyenv 3.12
(CALL_NO_KW_*): it must report each C function the workload calls,
including those 3.11+ specializes into instructions that never call them,
with the counts the workload's loops imply, and the PyTorch-profiler check
must hold in it.
"""
import collections
import os
import re

import pytest

import ccall_truth
import helpers

WORKLOAD = os.path.join(helpers.WORKLOADS, "ccalls.py")
KEY_SLEEP = 0.02
N_ITEMS = 5
LOOP = 60


def _interp(ident):
    interp, why = helpers.find_interp(ident)
    if interp is None:
        pytest.skip(why)
    return interp


def test_c_calls_refused_before_tracing(tracer, tmp_path):
    interp = _interp("debian3.11")
    marker = tmp_path / "ran"
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "--c-calls", "-s", "usdt", "-o", str(out), "--", interp.python,
                     "-c", "open(%r, 'w').close()" % str(marker)], timeout=60)
    assert 0 < p.returncode < 128, helpers.describe(p)
    first = p.stderr.splitlines()[0] if p.stderr else ""
    assert "--c-calls" in first and "with the usdt strategy" in first and \
        "supported: the dispatch strategy on CPython 3.11 to 3.14" in first, helpers.describe(p)
    assert not marker.exists(), "the command ran although --c-calls was refused"
    assert not out.exists(), "a refused session left an output file"


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.12"])
def test_ground_truth_fit(ident, tmp_path):
    interp = _interp(ident)
    doc = ccall_truth.c_truth(interp.python, WORKLOAD, tmp_path)
    counts = doc["counts"]
    calls = {name: c["calls"] for name, c in counts.items()}
    # specialized on 3.11+ (LEN, ISINSTANCE, LIST_APPEND): reported all the same
    assert calls.get("isinstance") == LOOP + LOOP, calls
    # LOOP in main and in raisers, 2 x 40 in the threads, 2 in main's last line
    assert calls.get("len") == LOOP + LOOP + 80 + 2, calls
    assert calls.get("list.append") == LOOP + 80, calls
    # LOOP, the raising one, 10 in the generator resumed from sum()
    assert calls.get("math.sqrt") == LOOP + 1 + 10, calls
    # one raising each (c_exception)
    for name in ("math.sqrt", "len", "isinstance"):
        assert counts[name]["exceptions"] == 1, (name, counts)
    for name, n in (("sorted", 1), ("time.sleep", N_ITEMS), ("str.join", 1), ("repr", 3),
                    ("sum", 2), ("math.pow", 1), ("int.from_bytes", 1)):
        assert calls.get(name) == n, (name, calls)
    # types are called too (range, str, list, int): no c_call for them
    for name in ("range", "str", "list", "int"):
        assert name not in calls, (name, calls)
    for name, c in counts.items():
        assert c["returns"] + c["exceptions"] == c["calls"], (name, c)
    # the PyTorch-profiler check, as it must hold in our .json and .pftrace
    assert len(doc["sorted"]) == 1, doc["sorted"]
    s = doc["sorted"][0]
    keys = [i for i in s["inner"] if i["name"] == "slow_key"]
    assert len(keys) == N_ITEMS, s
    assert all(k["dur"] >= KEY_SLEEP for k in keys), s
    assert s["dur"] >= sum(k["dur"] for k in keys) >= N_ITEMS * KEY_SLEEP, s


# ---- traced: CPython 3.11 to 3.14, dispatch strategy -----------------------

CCALLS_WORKLOAD = helpers.Workload("ccalls", ["ccalls.py"])


def _c_calls_by_caller_file(events):
    """the c_function events of a .json, each with the file of its Python
    caller (the innermost enclosing python event of its thread), None for
    the module's own code (which runs before main(), unprofiled by the
    ground truth: the class statement's __build_class__)"""
    out = []
    by_thread = collections.defaultdict(list)
    for e in events:
        if isinstance(e, dict) and e.get("ph") == "X" and e.get("cat") in ("python",
                                                                           "c_function"):
            by_thread[(e["pid"], e["tid"])].append(e)
    for evs in by_thread.values():
        # (start, longer first; a C call of no time after a call that
        # ends at its instant is not inside it)
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] < e["ts"] + 1e-6 and \
                    not (stack[-1]["ts"] + stack[-1]["dur"] >= e["ts"] + e["dur"] and
                         e["dur"] == 0 and stack[-1]["ts"] < e["ts"]):
                stack.pop()
            if e["cat"] == "c_function":
                py = [s for s in stack if s["cat"] == "python"]
                out.append((e, py[-1]["args"]["file"] if py and py[-1]["name"] != "<module>"
                            else None))
            stack.append(e)
    return out


def _stripped_env(interp, tmp_path_factory):
    """LD_LIBRARY_PATH to a `strip --strip-all` copy of INTERP's library
    (test_exact_stripped's), or skip"""
    from test_exact_stripped import stripped_lib
    if not os.path.exists(interp.lib) or interp.lib == os.path.realpath(interp.python):
        pytest.skip("%s has no shared libpython to strip" % interp.python)
    return {"LD_LIBRARY_PATH": stripped_lib(interp, tmp_path_factory)[0]}


@pytest.fixture(scope="module", params=["pyenv3.12-launch", "pyenv3.12-attach",
                                        "pyenv3.13-launch", "pyenv3.13-attach",
                                        "pyenv3.14-launch", "pyenv3.14-attach",
                                        "pyenv3.11-launch", "pyenv3.11-attach",
                                        "debian3.11-launch", "debian3.11-attach",
                                        "stripped3.12-launch"])
def traced(request, tracer, tmp_path_factory):
    """one traced run of the workload per mode, on pyenv 3.12, 3.13 and 3.14
    (their value stacks under a call differ), on pyenv's and Debian's 3.11
    (PRECALL/CALL; Debian's LTO build calls and inlines differently) and on a
    stripped copy of pyenv 3.12's library (what a stripped build lacks:
    list_append), with its ground truth"""
    ident, mode = request.param.split("-")
    env = None
    if ident.startswith("stripped"):
        interp = _interp(ident.replace("stripped", "pyenv"))
        env = _stripped_env(interp, tmp_path_factory)
    else:
        interp = _interp(ident)
    d = tmp_path_factory.mktemp("ccalls-" + request.param)
    outs = [d / "t.json", d / "t.pftrace", d / "t.folded", d / "t.trace", "-"]
    err, summary = helpers.run_both_ways(tracer, interp, CCALLS_WORKLOAD, mode, d, outs,
                                         ["--c-calls"], env=env)
    if env:
        lib = os.path.join(env["LD_LIBRARY_PATH"], os.path.basename(interp.lib))
        assert "(%s), strategy dispatch" % lib in err, err[-3000:]
    truth = ccall_truth.c_truth(interp.python, WORKLOAD, d,
                                env=helpers.target_env(env) if env else None)
    return {"mode": request.param, "dir": d, "truth": truth, "json": d / "t.json",
            "pftrace": d / "t.pftrace", "folded": d / "t.folded", "trace": d / "t.trace",
            "summary": summary}


def test_c_call_counts_equal_setprofile(traced):
    """every C call the workload's own code makes, per name, as many times
    as sys.setprofile reports it (c_call), nothing lost, no end missed"""
    doc = helpers.load_chrome(traced["json"])
    mine = collections.Counter()
    for e, caller in _c_calls_by_caller_file(doc["traceEvents"]):
        assert e["args"].get("c_function") is True, e
        if caller == WORKLOAD:
            mine[e["name"]] += 1
    want = {n: c["calls"] for n, c in traced["truth"]["counts"].items()}
    assert dict(mine) == want, (traced["mode"], sorted(set(mine.items()) ^
                                                            set(want.items())))
    sess = doc["session"]
    # (attached: the harness waits for its trigger in time.sleep, a C call
    # begun before the attach: said, test_c_call_running_at_attach_is_said)
    assert not any("--c-calls" in w and
                   not (traced["mode"].endswith("attach") and
                        "running a call instruction" in w)
                   for w in sess.get("warnings", [])), sess
    lost = sess["lost"]["total"] if isinstance(sess["lost"], dict) else sess["lost"]
    assert int(lost) == 0, sess
    assert mine["time.sleep"] == N_ITEMS and mine["sorted"] == 1
    # module of a module's function, where known
    sleeps = [e for e, _ in _c_calls_by_caller_file(doc["traceEvents"])
              if e["name"] == "time.sleep"]
    assert all(e["args"].get("module") == "time" for e in sleeps), sleeps[:2]


def test_sorted_encloses_its_key_calls_json(traced):
    """the PyTorch-profiler check in the .json: one `sorted` event lasting at
    least the key's sleeps, the 5 slow_key calls inside it"""
    evs = [e for e in helpers.load_chrome(traced["json"])["traceEvents"]
           if isinstance(e, dict) and e.get("ph") == "X"]
    s = [e for e in evs if e["name"] == "sorted" and e["cat"] == "c_function"]
    s = [e for e in s if any(k["name"] == "slow_key" and e["tid"] == k["tid"] and
                             e["ts"] <= k["ts"] <= e["ts"] + e["dur"] for k in evs)]
    assert len(s) == 1, s
    s = s[0]
    keys = [k for k in evs if k["name"] == "slow_key" and k["cat"] == "python"]
    assert len(keys) == N_ITEMS, keys
    for k in keys:
        assert k["tid"] == s["tid"] and s["ts"] <= k["ts"] and \
            k["ts"] + k["dur"] <= s["ts"] + s["dur"] + 0.001, (s, k)
        assert k["dur"] >= KEY_SLEEP * 1e6, k
    assert s["dur"] >= sum(k["dur"] for k in keys) >= N_ITEMS * KEY_SLEEP * 1e6, s


def test_sorted_encloses_its_key_calls_pftrace(traced, tmp_path):
    """the same check in the .pftrace: the slow_key slices are children of
    the one `sorted` slice on the thread's track"""
    from test_pftrace import Trace
    tr = Trace(traced["pftrace"], tmp_path)
    keys = [e for e in tr.slices if e["name"] == "slow_key"]
    assert len(keys) == N_ITEMS, keys
    parents = {id(k["parent"]) for k in keys}
    assert len(parents) == 1, keys
    s = keys[0]["parent"]
    assert s is not None and s["name"] == "sorted", s
    span = s["end"] - s["start"]
    assert span >= sum(k["end"] - k["start"] for k in keys) >= N_ITEMS * KEY_SLEEP * 1e9, s


def test_c_calls_marked_in_folded(traced):
    """flame graphs: C functions are frames of their own, marked [C], the
    key calls under sorted"""
    text = traced["folded"].read_text()
    assert re.search(r"\[C\] sorted \(builtins\);slow_key \(", text), text[:2000]
    assert "[C] time.sleep (time)" in text


def test_c_calls_rows_in_summary(traced):
    """the summary's table has rows of C functions, marked [C], with their
    calls: time.sleep's as many as the .json's events (the key's 5, and in
    attach mode the harness's own waiting)"""
    lines = traced["summary"].splitlines()
    rows = [l for l in lines if "[C] time.sleep (time)" in l]
    sleeps = [e for e in helpers.load_chrome(traced["json"])["traceEvents"]
              if isinstance(e, dict) and e.get("name") == "time.sleep" and
              e.get("cat") == "c_function"]
    n = len(sleeps)
    assert n >= N_ITEMS, n
    if not rows:
        # the table lists the longest totals only: in a launch where the
        # interpreter's site imports much (pyenv 3.11 here: a .pth of the
        # machine), time.sleep's 0.1 s may be below its cut
        table = [l for l in lines if re.match(r"^\s*\d+\s+[\d.]+\s+[\d.]+\s+\S", l)]
        assert table and any(re.match(r"^\.\.\. \d+ more functions", l) for l in lines), \
            traced["summary"][-3000:]
        shortest = min(float(l.split()[1]) for l in table)
        assert sum(e["dur"] for e in sleeps) / 1000.0 <= shortest, (shortest, lines[:40])
        return
    assert len(rows) == 1, traced["summary"][-3000:]
    assert rows[0].split()[0] == str(n), (n, rows)


def test_c_calls_survive_a_recording(tracer, traced, tmp_path):
    """`tracer report` of the session's recording gives the same C calls
    (their names are UTF-8 strings in the recorded identities)"""
    out = tmp_path / "r.json"
    p = helpers.run([tracer, "report", str(traced["trace"]), "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)

    def names(path):
        return collections.Counter(e["name"] for e in helpers.load_chrome(path)["traceEvents"]
                                   if isinstance(e, dict) and e.get("cat") == "c_function")
    direct = names(traced["json"])
    assert direct["sorted"] >= 1 and names(out) == direct


# ---- the call forms the versions' profilers decide differently -------------

FORMS = os.path.join(helpers.WORKLOADS, "ccalls_forms.py")
FORMS_WORKLOAD = helpers.Workload("ccalls_forms", ["ccalls_forms.py"])


@pytest.fixture(scope="module", params=["debian3.11", "pyenv3.12", "pyenv3.13", "pyenv3.14"])
def forms(request, tracer, tmp_path_factory):
    """workloads/ccalls_forms.py launched on Debian's 3.11 (3.11's profiler;
    the LTO build calls directly and inlines PyObject_Size: pyenv's 3.11
    has the main workload's sessions) and on 3.12, 3.13 and 3.14 (each
    reports bound methods its own way), with its ground truth"""
    interp = _interp(request.param)
    d = tmp_path_factory.mktemp("ccall-forms-" + request.param)
    helpers.run_both_ways(tracer, interp, FORMS_WORKLOAD, "launch", d, [d / "t.json"],
                          ["--c-calls"])
    return {"ident": request.param, "json": d / "t.json",
            "truth": ccall_truth.c_truth(interp.python, FORMS, d)}


def test_c_call_forms_equal_setprofile(forms):
    """per name, the C calls of ccalls_forms.py's own code equal the
    interpreter's setprofile's: a bound method of str.upper is str.upper's
    c_call on 3.11 and 3.14 only, one of len len's except on 3.12.1,
    str.upper(*[]) none, len() of a dict and of an int (raising) are len's,
    partial(len) and objects with __call__ are none; no end missed"""
    doc = helpers.load_chrome(forms["json"])
    mine = collections.Counter(e["name"] for e, caller in
                               _c_calls_by_caller_file(doc["traceEvents"]) if caller == FORMS)
    want = {n: c["calls"] for n, c in forms["truth"]["counts"].items()}
    assert dict(mine) == want, (forms["ident"], sorted(set(mine.items()) ^ set(want.items())))
    # the truth itself shows the loop's 40 (and the bound and *args forms)
    assert want.get("str.upper", 0) >= 42 and want.get("round") == 40 and \
        want.get("max") == 1, want
    sess = doc["session"]
    assert not any("--c-calls" in w for w in sess.get("warnings", [])), sess
    lost = sess["lost"]["total"] if isinstance(sess["lost"], dict) else sess["lost"]
    assert int(lost) == 0, sess


def test_c_exception_flagged_everywhere(tracer, traced, tmp_path):
    """a C call that raised is flagged c_exception, as sys.setprofile reports
    it (math.sqrt(-1) through BUILTIN_O, and len / isinstance raising in
    their specialized LEN / ISINSTANCE forms: a NULL result, or -1 from
    PyObject_Size / PyObject_IsInstance): per name, the workload's own
    flagged calls in the .json equal setprofile's c_exception counts; the
    .pftrace's slices, the summary's rows ("N raised") and the recording's
    report flag the same calls"""
    doc = helpers.load_chrome(traced["json"])
    mine, everywhere = collections.Counter(), collections.Counter()
    for e, caller in _c_calls_by_caller_file(doc["traceEvents"]):
        if e["args"].get("c_exception") is True:
            everywhere[e["name"]] += 1
            if caller == WORKLOAD:
                mine[e["name"]] += 1
    want = {n: c["exceptions"] for n, c in traced["truth"]["counts"].items()
            if c["exceptions"]}
    assert want == {"math.sqrt": 1, "len": 1, "isinstance": 1}, want
    assert dict(mine) == want, (traced["mode"], dict(mine))
    from test_pftrace import Trace
    tr = Trace(traced["pftrace"], tmp_path)
    flagged = collections.Counter(s["name"] for s in tr.slices
                                  if s["args"].get("c_exception"))
    assert flagged == everywhere, (flagged, everywhere)
    # the summary's rows (its top functions): "N raised" as in the .json
    seen = 0
    for l in traced["summary"].splitlines():
        m = re.search(r"\[C\] (\S+) \(.*\)(?:, (\d+) raised)?$", l)
        if m:
            assert int(m.group(2) or 0) == everywhere.get(m.group(1), 0), (l, everywhere)
            seen += bool(m.group(2))
    # (launched, the interpreter's start fills the top rows: attached, the
    # workload's raising len / isinstance are among them)
    assert seen >= 1 or traced["mode"].endswith("launch"), traced["summary"][-3000:]
    out = tmp_path / "r.json"
    p = helpers.run([tracer, "report", str(traced["trace"]), "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    again = collections.Counter(e["name"] for e in helpers.load_chrome(out)["traceEvents"]
                                if isinstance(e, dict) and e.get("cat") == "c_function" and
                                e.get("args", {}).get("c_exception") is True)
    assert again == everywhere, (again, everywhere)


def test_c_calls_follow_an_exec(tracer, tmp_path):
    """--c-calls on a launched process that execs a new image of the same
    interpreter (exec_ccalls.py -> ccalls.py): the new image's C calls, at
    its new load bias (the BPF side moves the type addresses), per name,
    equal sys.setprofile's for ccalls.py, nothing lost, no end missed. One
    interpreter (pyenv 3.12): the move is the same on every version."""
    interp = _interp("pyenv3.12")
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "--c-calls", "-o", str(out), "--", interp.python,
                     os.path.join(helpers.WORKLOADS, "exec_ccalls.py")], timeout=120,
                    env=helpers.target_env(None))
    assert p.returncode == 0, helpers.describe(p)
    assert "(the same interpreter file)" in p.stderr and "traced on" in p.stderr, \
        helpers.describe(p)
    doc = helpers.load_chrome(out)
    mine = collections.Counter(e["name"] for e, caller in
                               _c_calls_by_caller_file(doc["traceEvents"])
                               if caller == WORKLOAD)
    truth = ccall_truth.c_truth(interp.python, WORKLOAD, tmp_path)
    want = {n: c["calls"] for n, c in truth["counts"].items()}
    assert dict(mine) == want, sorted(set(mine.items()) ^ set(want.items()))
    sess = doc["session"]
    assert not any("--c-calls" in w for w in sess.get("warnings", [])), sess
    lost = sess["lost"]["total"] if isinstance(sess["lost"], dict) else sess["lost"]
    assert int(lost) == 0, sess


@pytest.mark.parametrize("ident", ["pyenv3.12", "pyenv3.14"])
def test_c_call_running_at_attach_is_said(tracer, tmp_path, ident):
    """attached to a process blocked in time.sleep (a C call begun before
    the attach, the common case of a service waiting in select or recv),
    the C call is not shown but said: the session's warning counts the
    thread running a call instruction; a process spinning in a loop that
    calls nothing gets no such warning. (3.12: prev_instr; 3.14: instr_ptr
    and another opcode numbering.)"""
    interp = _interp(ident)
    progs = {"blocked": "import sys, time\nprint('ready', flush=True)\ntime.sleep(60)\n",
             "spinning": "print('ready', flush=True)\nx = 0\nwhile True:\n    x += 1\n"}
    said = {}
    for name, prog in progs.items():
        target = helpers.Spawned([interp.python, "-c", prog])
        try:
            assert target.out.wait_for("ready", 30) is not None, target.describe()
            out = tmp_path / ("%s.json" % name)
            p = helpers.run([tracer, "--c-calls", "-p", str(target.pid), "-d", "1",
                             "-o", str(out)], timeout=60)
            assert p.returncode == 0, helpers.describe(p)
            ws = helpers.load_chrome(out)["session"].get("warnings", [])
            said[name] = [w for w in ws if "running a call instruction" in w]
        finally:
            target.kill()
    assert len(said["blocked"]) == 1 and said["blocked"][0].startswith(
        "--c-calls: 1 thread(s) were running a call instruction"), said
    assert said["spinning"] == [], said

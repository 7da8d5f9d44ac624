# SPDX-License-Identifier: MIT
"""Ground truth of test_coverage.py, measured by CPython itself in a
separate run of the same interpreter and the same script, never by the
tracer:

  - lines: the 'line' events of sys.settrace + threading.settrace, per
    file (only files under the script's directory);
  - calls: the 'call' events of sys.setprofile + threading.setprofile per
    code object (a generator resumption is a call, as setprofile says);
  - code objects: each file of interest compiled by this interpreter
    (compile(..., dont_inherit=True)), co_consts walked: qualified name
    (co_qualname on 3.11+, rebuilt as the compiler does before), first
    line, and the lines a line event can be reported for (co_lines()
    minus the prologue up to the first RESUME / 3.10's GEN_START;
    dis.findlinestarts on 3.8/3.9), as docs/notes/line-events.md §4.

With --phase-after NAME, events after the first return of the code named
NAME in the script count as phase 2 (attach mode: what ran after the
tracer attached), the others as phase 1.

Two halves:
  - runner, inside the target interpreter (valid Python 3.8):
      PYTHON cov_truth.py OUT.json [--file F]... [--phase-after NAME] -- SCRIPT [ARG...]
    runs SCRIPT as __main__ (sys.argv and sys.path[0] as a direct run) and
    writes OUT.json. json is imported only after the script ran, so that
    the script's own imports run their module bodies as in a direct run.
  - cov_truth(python, script, args, files, ...) on the test side -> Truth.
"""
import os
import sys
import threading


# ---- runner: inside the target interpreter ---------------------------------

CO_NEWLOCALS = 0x2


def code_lines(co):
    """lines a line event can be reported for, in code object CO alone"""
    import dis
    if sys.version_info >= (3, 10):
        skip = 0        # offsets < skip (the prologue) never report a line
        for ins in dis.get_instructions(co):
            if ins.opname in ("RESUME", "GEN_START"):
                skip = ins.offset + 2
                break
            if sys.version_info < (3, 11):      # 3.10: GEN_START only at 0
                break
        return sorted({l for s, e, l in co.co_lines() if l is not None and e > skip})
    return sorted({l for off, l in dis.findlinestarts(co)})


def walk_code(co, parent_qual, parent_is_func, out):
    import types
    qual = getattr(co, "co_qualname", None)
    if qual is None:    # 3.8 - 3.10: as the compiler builds __qualname__
        qual = co.co_name if parent_qual is None else (
            parent_qual + (".<locals>." if parent_is_func else ".") + co.co_name)
    is_module = parent_qual is None and co.co_name == "<module>"
    out.append({"qualname": "<module>" if is_module else qual, "name": co.co_name,
                "firstlineno": co.co_firstlineno, "lines": code_lines(co)})
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            walk_code(c, None if is_module else qual,
                      bool(co.co_flags & CO_NEWLOCALS), out)


def compiled_code(path):
    with open(path, "rb") as f:
        src = f.read()
    out = []
    walk_code(compile(src, path, "exec", dont_inherit=True), None, False, out)
    return out


def _usage():
    sys.stderr.write("usage: cov_truth.py OUT.json [--file F]... "
                     "[--phase-after NAME] -- SCRIPT [ARG...]\n")
    sys.exit(2)


def runner(argv):
    if not argv or "--" not in argv:
        _usage()
    out = argv[0]
    i, files, phase_after = 1, [], None
    while argv[i] != "--":
        if argv[i] == "--file":
            files.append(os.path.abspath(argv[i + 1]))
        elif argv[i] == "--phase-after":
            phase_after = argv[i + 1]
        else:
            _usage()
        i += 2
    script = os.path.abspath(argv[i + 1])
    args = argv[i + 2:]
    watch = os.path.dirname(script) + os.sep

    phase = [1]
    tables = {}         # thread ident -> {"lines": {(phase, file): set}, "calls": {id: [...]}}

    def table():
        t = tables.get(threading.get_ident())
        if t is None:
            t = tables.setdefault(threading.get_ident(), {"lines": {}, "calls": {}})
        return t

    def local(frame, event, arg):
        if event == "line":
            key = (phase[0], frame.f_code.co_filename)
            lines = table()["lines"]
            s = lines.get(key)
            if s is None:
                s = lines[key] = set()
            s.add(frame.f_lineno)
        elif (event == "return" and phase_after is not None and phase[0] == 1 and
              frame.f_code.co_name == phase_after and
              frame.f_code.co_filename == script):
            phase[0] = 2
        return local

    def trace(frame, event, arg):
        if frame.f_code.co_filename.startswith(watch):
            return local(frame, event, arg)
        return None

    def prof(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        calls = table()["calls"]
        e = calls.get(id(code))
        if e is None:
            e = calls[id(code)] = [code, 0, 0]     # CODE kept alive: ids stay unique
        e[phase[0]] += 1

    import runpy
    sys.argv = [script] + args
    sys.path[0] = os.path.dirname(script)
    rc = 0
    threading.settrace(trace)
    threading.setprofile(prof)
    sys.settrace(trace)
    sys.setprofile(prof)
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.setprofile(None)
        sys.settrace(None)
        threading.setprofile(None)
        threading.settrace(None)
    sys.stdout.flush()

    lines = {"1": {}, "2": {}}
    calls = {}          # (file, firstlineno, name, id) -> [phase1, phase2]
    files_run = set()
    for t in tables.values():
        for (ph, fname), s in t["lines"].items():
            d = lines[str(ph)].setdefault(os.path.abspath(fname), set())
            d.update(s)
        for code, c1, c2 in t["calls"].values():
            fname = os.path.abspath(code.co_filename)
            files_run.add(fname)
            if not fname.startswith(watch):
                continue
            k = (fname, code.co_firstlineno, code.co_name, id(code))
            c = calls.setdefault(k, [0, 0])
            c[0] += c1
            c[1] += c2
    doc = {
        "version": list(sys.version_info[:3]),
        "script": script,
        "rc": rc,
        "files_run": sorted(files_run),
        "lines": {ph: {f: sorted(s) for f, s in d.items()} for ph, d in lines.items()},
        "calls": [{"file": k[0], "firstlineno": k[1], "name": k[2],
                   "phase1": v[0], "phase2": v[1]} for k, v in sorted(calls.items())],
        "code": {f: compiled_code(f) for f in files},
    }
    import json
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, out)
    return rc


# ---- test side ---------------------------------------------------------------

class Truth(object):
    """What the interpreter reported, for FILES (absolute paths)."""

    def __init__(self, doc, files, stdout):
        self.doc = doc
        self.version = tuple(doc["version"])
        self.stdout = stdout
        self.files = list(files)
        self.files_run = set(doc["files_run"])
        # phase -> file -> set of lines reported by settrace
        self.lines = {ph: {f: set(doc["lines"].get(str(ph), {}).get(f, ()))
                           for f in self.files} for ph in (1, 2)}
        # code objects as compiled: file -> [{"qualname", "name", "firstlineno", "lines"}]
        self.code = {f: doc["code"][f] for f in self.files}
        # file -> union of the code objects' reportable lines
        self.reportable = {f: set(l for c in self.code[f] for l in c["lines"])
                           for f in self.files}
        self.calls = [c for c in doc["calls"] if c["file"] in self.files]

    def ran_lines(self, f, phases=(1, 2)):
        s = set()
        for ph in phases:
            s |= self.lines[ph][f]
        return s

    def call_counts(self, f, phases=(1, 2)):
        """(firstlineno, co_name) -> sorted call counts of the code objects
        of that key, zeros for those compiled but never called"""
        got = {}
        for c in self.calls:
            if c["file"] == f:
                got.setdefault((c["firstlineno"], c["name"]), []).append(
                    sum(c["phase%d" % ph] for ph in phases))
        out = {}
        for c in self.code[f]:
            k = (c["firstlineno"], c["name"])
            out[k] = out.get(k, 0) + 1
        res = {}
        for k in set(out) | set(got):
            counts = list(got.get(k, []))
            counts += [0] * (out.get(k, 0) - len(counts))
            res[k] = sorted(counts)
        return res

    def qualnames(self, f):
        """sorted [(firstlineno, qualname)] of the compiled code objects"""
        return sorted((c["firstlineno"], c["qualname"]) for c in self.code[f])


def cov_truth(python, script, args=(), files=(), env=None, phase_after=None,
              tmpdir=None, timeout=120):
    """Run SCRIPT ARGS with PYTHON under settrace + setprofile (a separate
    process); return a Truth restricted to FILES."""
    import json
    import subprocess
    import tempfile
    d = str(tmpdir or tempfile.mkdtemp(prefix="e2e-cov-truth-"))
    fd, out = tempfile.mkstemp(prefix="cov-truth-", suffix=".json", dir=d)
    os.close(fd)
    os.unlink(out)
    files = [os.path.abspath(f) for f in (files or [script])]
    cmd = [python, os.path.abspath(__file__), out]
    for f in files:
        cmd += ["--file", f]
    if phase_after:
        cmd += ["--phase-after", phase_after]
    cmd += ["--", os.path.abspath(script)] + list(args)
    e = dict(env if env is not None else os.environ)
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, cwd=d)
    if p.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("ground truth run failed (%d): %s\n%s"
                           % (p.returncode, " ".join(cmd),
                              p.stderr.decode(errors="replace")[-3000:]))
    with open(out) as f:
        doc = json.load(f)
    return Truth(doc, files, p.stdout.decode(errors="replace"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--show":
        # manual use: cov_truth.py --show PYTHON SCRIPT [ARG...]
        py, script = sys.argv[2], os.path.abspath(sys.argv[3])
        d = os.path.dirname(script)
        files = sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".py"))
        t = cov_truth(py, script, sys.argv[4:], files)
        for f in t.files:
            if f not in t.files_run:
                continue
            print("%s  (Python %s)" % (f, ".".join(map(str, t.version))))
            print("  ran:        %s" % sorted(t.ran_lines(f)))
            print("  reportable: %s" % sorted(t.reportable[f]))
            print("  never ran:  %s" % sorted(t.reportable[f] - t.ran_lines(f)))
            for (line, name), n in sorted(t.call_counts(f).items()):
                print("  %5d %-14s %s" % (line, name, n))
    else:
        sys.exit(runner(sys.argv[1:]))

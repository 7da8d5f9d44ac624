# SPDX-License-Identifier: MIT
"""The interpreters the benchmark measures, and the bpftrace programs that
count the same probes build/tracer attaches to each."""
import atexit
import glob
import os
import re
import shutil
import subprocess
import tempfile

DEBIAN_PYTHON = "/usr/bin/python3.11"
PYENV_VERSIONS = os.path.join(os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions")
# pyenv minors measured: 3.8-3.10 through the uprobe on the eval function,
# 3.12-3.14 the same with the perf trampoline (PYTHONPERFSUPPORT=1, the eval
# strategy forced); 3.11-3.14 unflagged with the dispatch strategy
PYENV_MINORS = ((3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14))
EVAL_SYMBOL = "_PyEval_EvalFrameDefault"


class Target:
    def __init__(self, label, python, strategy, probe_path, perf):
        self.label = label            # e.g. "3.11.2 debian"
        self.python = python          # interpreter to run
        self.strategy = strategy      # "usdt", "eval" or "dispatch" (the tracer's)
        self.probe_path = probe_path  # ELF file the probes live in
        self.perf = perf              # needs PYTHONPERFSUPPORT=1 when traced
        # bpftrace cannot put uprobes at raw addresses (dispatch sites)
        self.bpftrace = strategy != "dispatch"
        self.tracer_args = ["--strategy", "eval"] if perf else []
        self.env = {}                 # added to every run's environment
        # the bare kernel probes on this target's sites (bareprobes.Plan),
        # None: not measured
        self.bare = None

    def probes(self):
        if self.strategy == "dispatch":
            return "uprobes in the RESUME/RETURN/YIELD handlers + exit_unwind (unflagged)"
        if self.strategy == "usdt":
            return "USDT function__entry + function__return + line"
        return "uprobe + uretprobe %s%s" % (
            EVAL_SYMBOL, " (perf trampoline)" if self.perf else "")


def _file_has(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def _version(python):
    try:
        out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out if re.fullmatch(r"\d+\.\d+\.\d+\S*", out) else None


def _pyenv_dirs(major, minor):
    """pyenv install dirs of MAJOR.MINOR, highest micro last."""
    dirs = []
    for d in glob.glob(os.path.join(PYENV_VERSIONS, "%d.%d.*" % (major, minor))):
        m = re.fullmatch(r"%d\.%d\.(\d+)" % (major, minor), os.path.basename(d))
        if m:
            dirs.append((int(m.group(1)), d))
    return [d for _, d in sorted(dirs)]


def discover():
    """([Target], [(label, reason skipped)])."""
    found, skipped = [], []
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        skipped.append(("debian 3.11", "%s not found" % DEBIAN_PYTHON))
    elif not _file_has(DEBIAN_PYTHON, b"function__entry"):
        skipped.append(("debian 3.11", "%s has no USDT probes" % DEBIAN_PYTHON))
    else:
        v = _version(DEBIAN_PYTHON) or "3.11"
        # both exact strategies of this build, each forced: which one the
        # tracer takes by itself is what they measure here
        usdt = Target("%s debian" % v, DEBIAN_PYTHON, "usdt", DEBIAN_PYTHON, False)
        usdt.tracer_args = ["--strategy", "usdt"]
        disp = Target("%s debian dispatch" % v, DEBIAN_PYTHON, "dispatch", DEBIAN_PYTHON, False)
        disp.tracer_args = ["--strategy", "dispatch"]
        found += [usdt, disp]

    for major, minor in PYENV_MINORS:
        name = "pyenv %d.%d" % (major, minor)
        dirs = _pyenv_dirs(major, minor)
        if not dirs:
            skipped.append((name, "not installed under %s" % PYENV_VERSIONS))
            continue
        d = dirs[-1]
        python = os.path.join(d, "bin", "python%d.%d" % (major, minor))
        lib = os.path.join(d, "lib", "libpython%d.%d.so.1.0" % (major, minor))
        if not os.access(python, os.X_OK):
            skipped.append((name, "%s not found" % python))
        elif not _file_has(lib, EVAL_SYMBOL.encode()):
            skipped.append((name, "%s missing or without %s (not a shared build?)"
                            % (lib, EVAL_SYMBOL)))
        else:
            v = _version(python) or os.path.basename(d)
            if (major, minor) != (3, 11):
                found.append(Target("%s pyenv" % v, python, "eval", lib,
                                    (major, minor) >= (3, 12)))
            if (major, minor) >= (3, 11):
                found.append(Target("%s pyenv dispatch" % v, python, "dispatch", lib, False))
                found.append(stripped_target(v, python, lib))
    return found, skipped


_STRIP_DIR = []


def stripped_target(v, python, lib):
    """The dispatch strategy on a copy of LIB run through `strip --strip-all`
    and found first through LD_LIBRARY_PATH (no .symtab, no DWARF: the
    table, the specialized forms and exit_unwind found from the code), as
    distro and container builds ship their libpython."""
    if not _STRIP_DIR:
        _STRIP_DIR.append(tempfile.mkdtemp(prefix="tracer-bench-strip-"))
        atexit.register(shutil.rmtree, _STRIP_DIR[0], True)
    d = os.path.join(_STRIP_DIR[0], v)
    os.makedirs(d, exist_ok=True)
    copy = os.path.join(d, os.path.basename(lib))
    shutil.copyfile(lib, copy)
    subprocess.run(["strip", "--strip-all", copy], check=True)
    t = Target("%s pyenv dispatch stripped" % v, python, "dispatch", copy, False)
    t.env = {"LD_LIBRARY_PATH": d}
    return t


def bpftrace_program(t, line=True):
    """A bpftrace program counting the probes the tracer uses on T: @e entries,
    @r returns (and @l lines for USDT; LINE=False leaves it out)."""
    p = t.probe_path
    if t.strategy == "usdt":
        prog = ("usdt:%s:python:function__entry { @e = count(); } "
                "usdt:%s:python:function__return { @r = count(); }" % (p, p))
        if line:
            prog += " usdt:%s:python:line { @l = count(); }" % p
        return prog
    return ("uprobe:%s:%s { @e = count(); } uretprobe:%s:%s { @r = count(); }"
            % (p, EVAL_SYMBOL, p, EVAL_SYMBOL))

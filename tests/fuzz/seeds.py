#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Collect the fuzz targets' seed corpora from real inputs of this machine:
recordings the tracer writes of tiny workloads (as root), ELF files and
their SDT notes, DWARF of a small compiled program, /proc files of a
running interpreter, the perf map and jitdump CPython writes, coverage
blobs out of a coverage recording, line tables of real code objects, and
str objects of each width; and the inputs of past findings. Each target's inputs go to OUT/<target>/ (named
by content, so a second run adds nothing twice). Whatever cannot be made
here (not root, an interpreter missing) is said, and skipped."""
import argparse
import glob
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY311 = "/usr/bin/python3.11"
PYENV = "/root/.pyenv/versions"
WORKLOAD = ("def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
            "class C:\n"
            "    def m(self, x): return [fib(i) for i in range(x)]\n"
            "C().m(6); compile('1', '/nonexistent/\\u00e9\\u4e2d.py', 'eval')\n")


def pyenv(minor):
    """the pyenv interpreter of 3.MINOR, or None"""
    for d in sorted(glob.glob(f"{PYENV}/3.{minor}.*")):
        exe = f"{d}/bin/python3.{minor}"
        if os.access(exe, os.X_OK):
            return exe
    return None


class Corpus:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data):
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def skip(what, why):
    print(f"fuzz-seeds: no {what}: {why}", file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, timeout=120, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)


def records(data):
    """(kind, payload) of each record of a recording (the framing only:
    docs/recording-format.md)"""
    hsize = struct.unpack_from("<I", data, 12)[0]
    p = hsize
    while p + 8 <= len(data):
        kind, _flags, _res, n = struct.unpack_from("<BBHI", data, p)
        yield kind, data[p + 8:p + 8 + n]
        p += 8 + n


def recordings(c, tracer, tmp):
    if os.geteuid():
        return skip("recordings", "the tracer records as root")
    # -S: without site's imports a call recording is ~100 KB, not ~1 MB
    # (coverage's bootstrap needs site: its recordings are cut at 128 KB)
    runs = [("calls-3.11", [], PY311), ("cov-3.12", ["--coverage"], pyenv(12)),
            ("calls-3.8", [], pyenv(8)), ("cov-3.11", ["--coverage"], PY311)]
    for name, opts, py in runs:
        if not py:
            skip(f"recording {name}", "no such interpreter")
            continue
        path = os.path.join(tmp, name + ".trace")
        try:
            run([tracer, *opts, "-o", path, "--", py, *([] if opts else ["-S"]), "-c", WORKLOAD],
                cwd=tmp)
        except subprocess.SubprocessError as e:
            skip(f"recording {name}", e)
            continue
        with open(path, "rb") as f:
            data = f.read()
        c.add("report", data[:131072])
        c.add("report", data[:16384])	# cut short, as by kill -9
        # the coverage blobs inside (3.12+): bare and as their event
        for kind, payload in records(data):
            i = payload.find(b"TRCOVv1\0")
            if kind == 3 and i > 0:
                c.add("cover_blob", b"\0" + payload[i:])
                c.add("cover_blob", b"\1" + payload)


def objcopy(args, tmp, name):
    out = os.path.join(tmp, name)
    run(["objcopy", *args, out])
    with open(out, "rb") as f:
        return f.read()


def elves(c, tmp):
    src = os.path.join(HERE, "seed_dwarf.c")
    for name, flags in (("dwarf-O2", ["-O2", "-g"]), ("dwarf-O0", ["-O0", "-g"]),
                        ("dwarf-4", ["-O2", "-gdwarf-4"]), ("pie-O1", ["-O1", "-g", "-pie"])):
        exe = os.path.join(tmp, name)
        run(["gcc", *flags, src, "-o", exe])
        with open(exe, "rb") as f:
            data = f.read()
        c.add("dwarf", data)
        c.add("elf", data)
    # the machine's interpreters, reduced to what the tracer reads of them
    # (the headers, dynamic section, symbols and notes: whole they are MBs)
    keep = ["-j", ".dynsym", "-j", ".dynstr", "-j", ".dynamic", "-j", ".note.stapsdt",
            "-j", ".stapsdt.base", "-j", ".probes"]
    libs = [PY311] + glob.glob(f"{PYENV}/3.1[12]*/lib/libpython3.*.so.1.0")
    for i, lib in enumerate(libs):
        try:
            c.add("elf", objcopy(keep + [lib], tmp, f"elf{i}"))
            notes_path = os.path.join(tmp, f"notes{i}")
            subprocess.run(["objcopy", "--dump-section", f".note.stapsdt={notes_path}", lib,
                            os.devnull], stderr=subprocess.DEVNULL, timeout=60)
            notes = b""
            if os.path.exists(notes_path):	# only a --with-dtrace build has them
                with open(notes_path, "rb") as f:
                    notes = f.read()
        except subprocess.SubprocessError as e:
            skip(f"ELF seed of {lib}", e)
            continue
        if notes:
            c.add("usdt_notes", notes)
            c.add("usdt_notes", notes[:len(notes) // 2])


def procfs(c):
    """the /proc files of a running interpreter (this one, and a child)"""
    child = subprocess.Popen([PY311, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        for pid in ("self", str(child.pid)):
            with open(f"/proc/{pid}/maps", "rb") as f:
                c.add("proc_maps", f.read())
            with open(f"/proc/{pid}/stat", "rb") as f:
                c.add("proc_status", b"\0" + f.read())
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"NSpid:"):
                        c.add("proc_status", b"\1" + line)
            with open(f"/proc/{pid}/cgroup", "rb") as f:
                c.add("proc_status", b"\2" + f.read())
    finally:
        child.communicate(b"")


def jit_files(c, tmp):
    """perf maps (-X perf, 3.12+) and jitdumps (-X perf_jit, 3.13)"""
    code = "def f(x): return x + 1\nfor i in range(200): f(i)\nimport json; json.dumps([1])\n"
    for minor, opt, pattern, target in ((12, "perf", "/tmp/perf-{}.map", "perf_map"),
                                        (13, "perf", "/tmp/perf-{}.map", "perf_map"),
                                        (13, "perf_jit", "/tmp/jit-{}.dump", "jitdump")):
        py = pyenv(minor)
        if not py:
            skip(f"{target} of 3.{minor}", "no such interpreter")
            continue
        p = subprocess.Popen([py, "-X", opt, "-c", code], cwd=tmp)
        p.wait(timeout=60)
        path = pattern.format(p.pid)
        if not os.path.exists(path):
            skip(f"{target} of 3.{minor}", f"{path} was not written")
            continue
        with open(path, "rb") as f:
            data = f.read()
        os.unlink(path)
        if target == "jitdump":
            # step 4096, chunk 65536, read at attach; and a byte at a time
            c.add(target, struct.pack("<HHB", 4095, 65535, 1) + data[:65536])
            c.add(target, struct.pack("<HHB", 0, 200, 0) + data[:4096])
        else:
            c.add(target, data)


LINE_TABLES = r"""
import sys, types, json.decoder
minor = sys.version_info[1]
def walk(co):
    yield co
    for k in co.co_consts:
        if isinstance(k, types.CodeType):
            yield from walk(k)
src = open(json.decoder.__file__).read()
for co in walk(compile(src, json.decoder.__file__, 'exec')):
    t = co.co_linetable if minor >= 10 else co.co_lnotab
    sys.stdout.write('%d %s\n' % (co.co_firstlineno, t.hex()))
"""


def line_tables(c):
    for minor in range(8, 14):
        py = PY311 if minor == 11 else pyenv(minor)
        if not py:
            skip(f"line tables of 3.{minor}", "no such interpreter")
            continue
        out = run([py, "-c", LINE_TABLES]).stdout.decode().split("\n")
        for line in out[:40]:
            if line:
                first, table = line.split()
                c.add("line_table", struct.pack("<Bi", minor, int(first)) + bytes.fromhex(table))


def strings(c):
    ascii_flag, utf8 = 0x80, 0x40
    for s in ("fib", "C.m.<locals>.<listcomp>", "caf\u00e9", "\u4e2d\u6587", "\U0001f600x",
              "/nonexistent/\u00e9\u4e2d.py", "a" * 300):
        width = max([1] + [1 if ord(ch) < 256 else 2 if ord(ch) < 65536 else 4 for ch in s])
        enc = width | (ascii_flag if s.isascii() else 0)
        codec = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[width]
        raw = s.encode(codec)
        c.add("pystr", struct.pack("<BI", enc, len(s)) + raw)
        c.add("pystr", struct.pack("<BI", enc, len(s)) + raw[:len(raw) // 2])  # a cut copy
        c.add("pystr", struct.pack("<BI", utf8, len(s.encode())) + s.encode())


def regressions(c):
    """the inputs of past findings (tests/fuzz/regressions/TARGET/*.hex:
    '#' comments, then hex): every run replays them first"""
    for path in sorted(glob.glob(os.path.join(HERE, "regressions", "*", "*.hex"))):
        with open(path) as f:
            text = "".join(l for l in f if not l.startswith("#"))
        c.add(os.path.basename(os.path.dirname(path)), bytes.fromhex(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tracer", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c = Corpus(a.out)
    tmp = tempfile.mkdtemp(prefix="tracer-seeds-")
    os.chmod(tmp, 0o755)
    try:
        for step in (lambda: recordings(c, os.path.abspath(a.tracer), tmp),
                     lambda: elves(c, tmp), lambda: procfs(c), lambda: jit_files(c, tmp),
                     lambda: line_tables(c), lambda: strings(c), lambda: regressions(c)):
            step()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for t in sorted(c.counts):
        print(f"fuzz-seeds: {t}: {c.counts[t]} inputs in {a.out}/{t}")


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: MIT
"""Names from a hostile target in every output (issue 17, finding 4).

The target (run as nobody where it can be: Debian's python3.11, attached)
renames functions (co_name, co_qualname) to text that forges LCOV records
("\\nSF:/etc/passwd\\nDA:1,1\\nend_of_record\\n"), splits folded stacks
(";"), retitles or clears the terminal (OSC, CSI, BEL), and uses a line
separator and a bidirectional override; it runs a source file whose path
carries the same text, from a thread whose name (comm) is an escape
sequence. pyenv's 3.12 (launched: nobody cannot reach /root's pyenv) adds a
lone surrogate in a name and in the file's path (a byte that is not UTF-8
on disk). Every output is then read by its real consumer: lcov and genhtml,
xmllint, json, protoc; the tracer's stdout and stderr must carry no ESC or
BEL byte; and the names must still be there, escaped, not dropped.
"""
import json
import os
import re
import subprocess
import time

import pytest

import helpers
import hostile

TARGET = r'''import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FORGE = "\nSF:/etc/passwd\nDA:1,1\nend_of_record\n"
TERM = "\x1b]0;pwned\x07\x1b[2J"
SURROGATE = sys.argv[1] == "surrogate"
NAMES = ["f" + FORGE, "semi;colon", "t" + TERM, "sep\u2028bidi\u202e"]
if SURROGATE:
    NAMES.append("sur\udcffrogate")


def renamed(fn, name):
    """FN with co_name and co_qualname NAME (3.11+)"""
    fn.__code__ = fn.__code__.replace(co_name=name, co_qualname=name)
    return fn


def leaf():
    time.sleep(0.02)    # time enough to be in the summary's top rows
    return 1


FUNCS = [renamed(lambda: leaf(), n) for n in NAMES]

# a real source file whose path carries the same text: directories
# "x\nSF:" / "etc" / "passwd\nDA:1,1\nend_of_record\n;<ESC>...py"
EVIL_DIR = os.path.join(HERE, "x\nSF:", "etc")
EVIL = os.path.join(EVIL_DIR, "passwd\nDA:1,1\nend_of_record\n;" + TERM +
                    ("\udcff" if SURROGATE else "") + ".py")


def load_evil():
    import importlib.util
    os.makedirs(EVIL_DIR, exist_ok=True)
    with open(EVIL, "w") as f:
        f.write("def evil_func():\n    return 2\n\n\ndef evil_caller():\n"
                "    return evil_func() + 1\n")
    spec = importlib.util.spec_from_file_location("evil", EVIL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def worker():
    with open("/proc/thread-self/comm", "w") as f:
        f.write("\x1b]0;thr\x07")
    for fn in FUNCS:
        fn()


def phase(evil):
    for fn in FUNCS:
        fn()
    evil.evil_caller()
    t = threading.Thread(target=worker)
    t.start()
    t.join()


def main():
    evil = load_evil()
    trigger = os.path.join(HERE, "go")
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    while sys.argv[2] == "attach" and not os.path.exists(trigger):
        time.sleep(0.01)
    phase(evil)
    phase(evil)


if __name__ == "__main__":
    main()
'''

FORGE = "\nSF:/etc/passwd\nDA:1,1\nend_of_record\n"
TERM = "\x1b]0;pwned\x07\x1b[2J"
NAMES = ["f" + FORGE, "semi;colon", "t" + TERM, "sep\u2028bidi\u202e"]
SURROGATE_NAME = "sur\udcffrogate"
FORMATS = ["x.lcov", "x.xml", "x.folded", "x.svg", "x.json", "x.speedscope.json",
           "x.pprof", "x.pftrace"]
TIMEOUT = 120


def _control(cp):
    """what text_escape.c shows escaped"""
    return cp < 0x20 or 0x7f <= cp <= 0x9f or cp in (0x061c, 0x200e, 0x200f) or \
        0x2028 <= cp <= 0x202e or 0x2066 <= cp <= 0x2069


def visible(s, also=""):
    """S by the terminal/LCOV rule (user/util/text_escape.h)"""
    out = []
    for ch in s:
        cp = ord(ch)
        if 0xdc80 <= cp <= 0xdcff:      # a byte that is not UTF-8 (surrogateescape)
            out.append("\\x%02x" % (cp - 0xdc00))
        elif _control(cp) or ch in also:
            out.append("\\x%02x" % cp if cp < 0x80 else "\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def folded(s):
    """S as a frame of a folded stack (user/util/text_escape.h)"""
    return "".join(" " * len(ch.encode("utf-8", "surrogatepass")) if _control(ord(ch))
                   else "," if ch == ";" else ch for ch in s)


def evil_path(d, surrogate):
    return os.path.join(d, "x\nSF:", "etc", "passwd\nDA:1,1\nend_of_record\n;" + TERM +
                        ("\udcff" if surrogate else "") + ".py")


def _trace_attached(tracer, python, d, out):
    script = os.path.join(d, "t.py")
    hostile.write_as_nobody(script, TARGET)
    target = hostile.HostileTarget(python, script, d, args=["plain", "attach"])
    tr = None
    try:
        target.wait_ready()
        cmd = [tracer, "-p", str(target.pid)]
        for f in FORMATS + ["-"]:
            cmd += ["-o", os.path.join(out, f) if f != "-" else f]
        tr = subprocess.Popen(cmd, stdout=open(os.path.join(out, "stdout"), "wb"),
                              stderr=open(os.path.join(out, "stderr"), "wb"))
        deadline = time.monotonic() + TIMEOUT
        while b"tracer: tracing" not in open(os.path.join(out, "stderr"), "rb").read():
            assert tr.poll() is None and time.monotonic() < deadline, \
                open(os.path.join(out, "stderr"), "rb").read()
            time.sleep(0.1)
        open(os.path.join(d, "go"), "w").close()
        assert target.wait(TIMEOUT) == 0, target.describe()
        assert tr.wait(TIMEOUT) == 0, open(os.path.join(out, "stderr"), "rb").read()
    finally:
        target.kill()
        if tr and tr.poll() is None:
            tr.kill()
            tr.wait()
    return script


def _trace_launched(tracer, python, d, out):
    script = os.path.join(d, "t.py")
    hostile.write_as_nobody(script, TARGET)
    cmd = [tracer]
    for f in FORMATS + ["-"]:
        cmd += ["-o", os.path.join(out, f) if f != "-" else f]
    p = subprocess.run(cmd + ["--", python, script, "surrogate", "launch"], cwd=d,
                       env=helpers.target_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=TIMEOUT)
    for name, data in (("stdout", p.stdout), ("stderr", p.stderr)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return script


def _parse_lcov(text):
    recs, cur = [], None
    for line in text.split("\n"):
        if line == "end_of_record":
            assert cur is not None, "end_of_record outside a record"
            recs.append(cur)
            cur = None
            continue
        if not line:
            continue
        key, sep, val = line.partition(":")
        assert sep, "not a KEY:value line: %r" % line
        if key == "SF":
            assert cur is None, "SF inside a record: %r" % line
            cur = (val, [])
            continue
        assert key in ("TN", "FN", "FNDA", "FNF", "FNH", "DA", "LF", "LH"), line
        if key == "TN":
            continue
        assert cur is not None, "%r outside a record" % line
        if key == "FN":
            m = re.match(r"^(\d+),([^,]+)$", val)
            assert m, "FN with a comma in its name or no name: %r" % line
            cur[1].append(m.group(2))
        elif key in ("FNDA", "DA"):
            assert re.match(r"^\d+,[^,]+$", val), line
        else:
            assert re.match(r"^\d+$", val), line
    assert cur is None, "a record without end_of_record"
    return recs


def _pb_strings(data, depth=0, top_field=None):
    """every length-delimited field of DATA that is not itself a message
    (Perfetto's strings: it writes no packed fields), or with TOP_FIELD
    the fields of that number of DATA: None if DATA is not a message"""
    out, i, n = [], 0, len(data)

    def varint(i):
        v = s = 0
        while True:
            if i >= n or s > 63:
                raise ValueError
            b = data[i]
            v |= (b & 0x7f) << s
            i += 1
            s += 7
            if not b & 0x80:
                return v, i
    try:
        while i < n:
            key, i = varint(i)
            wt = key & 7
            if key >> 3 == 0:
                raise ValueError
            if wt == 0:
                _, i = varint(i)
            elif wt == 1:
                i += 8
            elif wt == 5:
                i += 4
            elif wt == 2:
                ln, i = varint(i)
                if i + ln > n:
                    raise ValueError
                sub = data[i:i + ln]
                if top_field is not None:
                    if key >> 3 == top_field:
                        out.append(sub)
                else:
                    inner = _pb_strings(sub, depth + 1) if depth < 12 and ln else None
                    out.extend([sub] if inner is None else inner)
                i += ln
            else:
                raise ValueError
            if i > n:
                raise ValueError
    except ValueError:
        return None
    return out


def _check(out, script, d, surrogate, attached):
    stdout = open(os.path.join(out, "stdout"), "rb").read()
    stderr = open(os.path.join(out, "stderr"), "rb").read()
    # nothing reaches the terminal that could act on it
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        for b in (b"\x1b", b"\x07", b"\x9b"):
            assert b not in data, "%r in the tracer's %s:\n%r" % (b, name, data[-3000:])
    summary = stdout.decode("utf-8")
    for n in NAMES:
        assert visible(n) + " (" in summary, "%r not in the summary" % visible(n)
    evil = evil_path(d, surrogate)
    # LCOV: exactly the records of the real files, the names escaped
    lcov_text = open(os.path.join(out, "x.lcov"), "rb").read().decode("utf-8")
    recs = _parse_lcov(lcov_text)
    paths = sorted(r[0] for r in recs)
    if surrogate:   # how the path reached the map: its byte, or U+FFFD read from the str
        want = [sorted([script, visible(evil)]), sorted([script, evil.replace("\udcff", "\ufffd")])]
        want = [sorted(visible(p) for p in w) for w in want]
        assert paths in want, paths
    else:
        assert paths == sorted([script, visible(evil)]), paths
    fns = dict(recs)[script]
    for n in NAMES:
        assert visible(n, ",") in fns, (visible(n, ","), fns)
    assert sorted(l for l in lcov_text.split("\n") if l.startswith("SF:")) == \
        sorted("SF:" + p for p in paths)
    p = subprocess.run(["lcov", "--summary", os.path.join(out, "x.lcov")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    assert "functions..: " in p.stdout.decode()
    p = subprocess.run(["genhtml", "--ignore-errors", "source", "-q", "-o",
                        os.path.join(out, "html"), os.path.join(out, "x.lcov")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    # XML: well-formed
    for f in ("x.xml", "x.svg"):
        p = subprocess.run(["xmllint", "--noout", os.path.join(out, f)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert p.returncode == 0, (f, p.stdout.decode(errors="replace"))
    # JSON: valid, the names as they are (JSON can say them all)
    chrome = json.load(open(os.path.join(out, "x.json"), "rb"))
    evs = chrome["traceEvents"] if isinstance(chrome, dict) else chrome
    names = {e.get("name") for e in evs}
    for n in NAMES:
        assert n in names, (n, sorted(x for x in names if x)[:50])
    if surrogate:
        assert "sur\ufffdrogate" in names
    ss = json.load(open(os.path.join(out, "x.speedscope.json"), "rb"))
    frames = {f["name"] for f in ss["shared"]["frames"]}
    for n in NAMES:
        assert n in frames, n
    # folded: "frame;frame;... VALUE" lines, one per distinct stack; each
    # renamed function called from phase() and from worker(): two stacks
    # ending in it, two ending in leaf() under it
    lines = open(os.path.join(out, "x.folded"), "rb").read().decode("utf-8").split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    stacks = []
    for line in lines:
        m = re.match(r"^(.+) (\d+)$", line)
        assert m, "not a folded line: %r" % line
        frames_ = m.group(1).split(";")
        for fr in frames_:
            assert re.match(r"^.+ \(.+:\d+\)$", fr) or fr == "[truncated]", (fr, line)
        stacks.append(tuple(frames_))
    assert len(stacks) == len(set(stacks)), "a stack on two lines"
    for n in NAMES:
        fr = folded(n) + " (" + script + ":"
        ends = [s for s in stacks if s[-1].startswith(fr)]
        assert sorted(s[-2].split(" (")[0] for s in ends) == ["phase", "worker"], (n, ends)
        assert len([s for s in stacks if len(s) > 1 and s[-2].startswith(fr) and
                    s[-1].startswith("leaf (")]) == 2, n
    # protobuf strings are UTF-8 (pprof's string table, Perfetto's names)
    import gzip
    prof = gzip.decompress(open(os.path.join(out, "x.pprof"), "rb").read())
    strs = _pb_strings(prof, top_field=6)   # Profile.string_table
    assert strs
    for s in strs:
        s.decode("utf-8")
    joined = b"\0".join(strs).decode("utf-8")
    for n in NAMES:
        assert n in joined, n
    trace = open(os.path.join(out, "x.pftrace"), "rb").read()
    strs = _pb_strings(trace)
    assert strs is not None
    for s in strs:
        s.decode("utf-8")
    joined = b"\0".join(strs).decode("utf-8")
    for n in NAMES:
        assert n in joined, n
    if attached:    # the thread's name (comm) in the Perfetto trace, as it is
        assert "\x1b]0;thr\x07" in joined


def test_hostile_names_attached_as_nobody(tracer, get_interp, nobody_dir, tmp_path):
    """Debian's python3.11 (USDT) run as nobody, attached"""
    it = get_interp("debian3.11")
    out = str(tmp_path)
    script = _trace_attached(tracer, it.python, nobody_dir, out)
    _check(out, script, nobody_dir, False, True)


def test_hostile_names_launched_312(tracer, get_interp, nobody_dir, tmp_path):
    """pyenv's 3.12 (frames read from memory), launched: lone surrogates too"""
    it = get_interp("pyenv3.12")
    out = str(tmp_path)
    script = _trace_launched(tracer, it.python, nobody_dir, out)
    _check(out, script, nobody_dir, True, False)

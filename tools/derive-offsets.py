#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Derive the CPython structure offsets of user/cpython/py_layout.c from DWARF.

For each pyenv build 3.8-3.14 under $PYENV_ROOT/versions (default
/root/.pyenv/versions), and each free-threaded one (3.X.Yt, Py_GIL_DISABLED,
lib/libpython3.Xt.so.1.0; its row is "3.Xt"), ask gdb (batch mode, no init files) about the types in
lib/libpython3.X.so.1.0 and print every field of struct tr_py_layout
(include/tracer.h) and struct py_runtime_layout (user/cpython/py_layout.h).

  derive-offsets.py            C table rows to paste into user/cpython/py_layout.c
  derive-offsets.py --json     the values as JSON {"3.X": {field: value}}
  derive-offsets.py --check    compare with `build/tracer layout 3.X` and, 3.13+,
                               `build/tracer layout --from-binary LIB` (the
                               build's _Py_DebugOffsets); exit 1 on any
                               difference (or if nothing was checked)

A version that is not installed is skipped with a printed reason. Runs with
any python3 (standard library only).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

MINORS = range(8, 15)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# field order of the two C structs (and of `tracer layout` output)
PY_FIELDS = [
    "version_hex", "tstate_frame", "cframe_current_frame", "frame_code",
    "frame_back", "frame_owner", "frame_is_entry", "owner_cstack",
    "eval_frame_arg", "code_name", "code_qualname", "code_filename",
    "code_firstlineno", "unicode_length", "unicode_state",
    "unicode_ascii_size", "unicode_compact_size", "code_flags",
    "code_code_adaptive", "frame_instr", "frame_instr_start",
    "tstate_thread_id", "frame_lasti", "code_linetable", "frame_code_tag",
    "bytes_size", "bytes_sval", "frame_tlbc_index", "code_tlbc",
    "unicode_kind_shift", "free_threaded",
]
RT_FIELDS = ["runtime_tstate_current", "runtime_interpreters_main",
             "interp_eval_frame", "runtime_gil_holder", "runtime_gil_ptr",
             "runtime_gil", "runtime_tss_key"]
ALL_FIELDS = PY_FIELDS + RT_FIELDS


def off(typ, member):
    return "(long)&((%s *)0)->%s" % (typ, member)


def queries(minor, ft=False):
    """field -> gdb expression, or None when the field does not exist in
    3.MINOR (FT: its free-threaded build) (value -1, or 0 for ABSENT_ZERO
    fields). frame_instr, frame_instr_start, unicode_kind_shift and
    free_threaded are not here: see derive()."""
    q = {}
    if minor <= 10:
        q["tstate_frame"] = off("PyThreadState", "frame")
    elif minor <= 12:
        q["tstate_frame"] = off("PyThreadState", "cframe")
    else:
        q["tstate_frame"] = off("PyThreadState", "current_frame")
    q["cframe_current_frame"] = (off("_PyCFrame", "current_frame")
                                 if minor in (11, 12) else None)
    if minor <= 10:
        q["frame_code"] = off("PyFrameObject", "f_code")
        q["frame_back"] = off("PyFrameObject", "f_back")
    else:
        q["frame_code"] = off("_PyInterpreterFrame",
                              "f_executable" if minor >= 13 else "f_code")
        q["frame_back"] = off("_PyInterpreterFrame", "previous")
    q["frame_owner"] = off("_PyInterpreterFrame", "owner") if minor >= 12 else None
    # the lowest owner of a frame that is no Python call: the C stack's
    # entry frame, FRAME_OWNED_BY_CSTACK until 3.13, then the evaluator's
    # own sentinel FRAME_OWNED_BY_INTERPRETER (3.14 keeps a CSTACK = 4 above it)
    q["owner_cstack"] = (None if minor < 12 else "(long)FRAME_OWNED_BY_CSTACK"
                         if minor <= 13 else "(long)FRAME_OWNED_BY_INTERPRETER")
    q["frame_is_entry"] = off("_PyInterpreterFrame", "is_entry") if minor == 11 else None
    q["code_name"] = off("PyCodeObject", "co_name")
    q["code_qualname"] = off("PyCodeObject", "co_qualname") if minor >= 11 else None
    q["code_filename"] = off("PyCodeObject", "co_filename")
    q["code_firstlineno"] = off("PyCodeObject", "co_firstlineno")
    q["code_flags"] = off("PyCodeObject", "co_flags")
    q["code_code_adaptive"] = (off("PyCodeObject", "co_code_adaptive")
                               if minor >= 11 else None)
    q["unicode_length"] = off("PyASCIIObject", "length")
    q["unicode_state"] = off("PyASCIIObject", "state")
    q["unicode_ascii_size"] = "(long)sizeof(PyASCIIObject)"
    q["unicode_compact_size"] = "(long)sizeof(PyCompactUnicodeObject)"
    q["runtime_interpreters_main"] = off("_PyRuntimeState", "interpreters.main")
    q["interp_eval_frame"] = off("struct _is", "eval_frame")
    q["tstate_thread_id"] = off("PyThreadState", "thread_id")
    q["frame_lasti"] = off("PyFrameObject", "f_lasti") if minor <= 10 else None
    q["code_linetable"] = off("PyCodeObject", "co_lnotab" if minor <= 9 else "co_linetable")
    q["bytes_size"] = off("PyBytesObject", "ob_base.ob_size")
    q["bytes_sval"] = off("PyBytesObject", "ob_sval")
    # free-threaded 3.14+: thread-local bytecode (the frame's instr_ptr
    # points into co_tlbc->entries[tlbc_index])
    q["frame_tlbc_index"] = (off("_PyInterpreterFrame", "tlbc_index")
                             if ft and minor >= 14 else None)
    q["code_tlbc"] = off("PyCodeObject", "co_tlbc") if ft and minor >= 14 else None
    # 3.12+: the main interpreter is a member of _PyRuntime and has its own
    # GIL, whose last_holder is the thread state running Python code (the
    # dispatch strategy's way to the current thread state)
    main = "_main_interpreter"
    q["runtime_gil_holder"] = (off("_PyRuntimeState", main + "._gil.last_holder")
                               if minor >= 12 else None)
    q["runtime_gil_ptr"] = (off("_PyRuntimeState", main + ".ceval.gil")
                            if minor >= 12 else None)
    q["runtime_gil"] = off("_PyRuntimeState", main + "._gil") if minor >= 12 else None
    # the pthread key of the thread states (Py_tss_t autoTSSkey): how
    # sampling finds a thread's state
    q["runtime_tss_key"] = off("_PyRuntimeState",
                               "gilstate.autoTSSkey" if minor <= 11 else "autoTSSkey")
    return q


# Members that must NOT exist where the field is -1 (catches a wrong rule).
def absent_checks(minor, ft=False):
    a = []
    if not ft or minor < 14:
        a.append(off("PyCodeObject", "co_tlbc"))
        if minor >= 11:
            a.append(off("_PyInterpreterFrame", "tlbc_index"))
    if minor <= 10:
        a.append(off("PyCodeObject", "co_qualname"))
    if minor != 11:
        kind = "PyFrameObject" if minor <= 10 else "_PyInterpreterFrame"
        a.append(off(kind, "is_entry"))
    if minor <= 11:
        a.append("(long)FRAME_OWNED_BY_CSTACK")
    if minor <= 10:
        a.append(off("PyCodeObject", "co_code_adaptive"))
        a.append("(long)sizeof(_PyInterpreterFrame)")
    return a


# fields whose value is 0 (not -1) where they do not exist
ABSENT_ZERO = ("owner_cstack", "frame_instr_start", "free_threaded")

# The frame's instruction pointer: whichever of these _PyInterpreterFrame
# members exists (3.11+; exactly one must).
INSTR_MEMBERS = ("prev_instr", "instr_ptr")


def instr_queries():
    q = []
    for m in INSTR_MEMBERS:
        q.append(("instr_off_" + m, "print " + off("_PyInterpreterFrame", m)))
        q.append(("instr_unit_" + m,
                  "print (long)sizeof(*((_PyInterpreterFrame *)0)->%s)" % m))
    q.append(("codeunit", "print (long)sizeof(_Py_CODEUNIT)"))
    return q


def instr_fields(minor, res):
    """(frame_instr, frame_instr_start) from the gdb answers of
    instr_queries().

    frame_instr_start is what frame_instr holds, relative to the address of
    co_code_adaptive (_PyCode_CODE(code)), in a frame that has not executed
    any instruction yet. It is not in the DWARF; it follows from which
    member the frame has, by CPython's own initialisation of it
    (_PyFrame_Initialize in Include/internal/pycore_frame.h):
      3.11/3.12 `prev_instr`, "the last instruction executed": initialised
          to _PyCode_CODE(code) - 1, one _Py_CODEUNIT before the first
          instruction. _Py_CODEUNIT must be 2 bytes (checked here, along
          with the pointee size of prev_instr), so the value is -2.
      3.13 `instr_ptr`, "the instruction being / about to be executed":
          initialised to _PyCode_CODE(code), so the value is 0.
    Any other (or both, or a unit size other than 2) is refused: the rule
    would need re-reading CPython."""
    got = {m: print_value(res.get("instr_off_" + m, "")) for m in INSTR_MEMBERS}
    present = [m for m in INSTR_MEMBERS if got[m] is not None]
    if minor <= 10:
        if present:
            raise GdbError("3.%d: _PyInterpreterFrame.%s exists but the table says -1"
                           % (minor, present[0]))
        return -1, 0
    if len(present) != 1:
        raise GdbError("3.%d: _PyInterpreterFrame has %s of %s (want exactly one)"
                       % (minor, present or "none", INSTR_MEMBERS))
    member = present[0]
    unit = print_value(res.get("instr_unit_" + member, ""))
    codeunit = print_value(res.get("codeunit", ""))
    if unit != 2 or codeunit != 2:
        raise GdbError("3.%d: sizeof(*%s) = %s, sizeof(_Py_CODEUNIT) = %s, expected 2"
                       % (minor, member, unit, codeunit))
    return got[member], (-unit if member == "prev_instr" else 0)


# Where the current thread state may live in _PyRuntimeState (tried in order).
TSTATE_CURRENT = [off("_PyRuntimeState", "gilstate.tstate_current"),
                  off("_PyRuntimeState", "tstate_current")]


class GdbError(Exception):
    pass


def gdb_run(lib, commands):
    """Run gdb once; return {tag: output text} for each (tag, command)."""
    args = ["gdb", "-batch", "-nx", "-ex", "set max-value-size unlimited",
            "-ex", "set width 0", "-ex", "set height 0"]
    for tag, cmd in commands:
        args += ["-ex", "echo @@@%s\\n" % tag, "-ex", cmd]
    args += ["-ex", "echo @@@end\\n", lib]
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GdbError("cannot run gdb: %s" % e)
    out, tag, res = p.stdout, None, {}
    for line in out.splitlines():
        m = re.match(r"^@@@(\S+)$", line)
        if m:
            tag = m.group(1)
            res[tag] = ""
        elif tag is not None:
            res[tag] += line + "\n"
    if "end" not in res:
        raise GdbError("gdb output incomplete:\n" + out[-2000:])
    return res


def print_value(text):
    """Integer of a gdb `print` output ("$1 = 24"), or None on error."""
    m = re.match(r"^\$\d+ = (-?\d+)\s*$", text.strip())
    return int(m.group(1)) if m else None


def frame_arg_index(ptype_text):
    """Index of the frame parameter in the prototype `ptype` shows for
    _PyEval_EvalFrameDefault: the return type spans lines and ends with
    `} *(PyThreadState *, _PyInterpreterFrame *, int)`."""
    last = ptype_text.strip().splitlines()[-1] if ptype_text.strip() else ""
    m = re.search(r"\(([^()]*)\)\s*$", last)
    if not m:
        raise GdbError("no prototype in: %r" % ptype_text[-300:])
    params = [p.strip() for p in m.group(1).split(",")]
    hits = [i for i, p in enumerate(params)
            if re.search(r"\b(PyFrameObject|_PyInterpreterFrame|struct _frame)\b", p)
            and p.endswith("*")]
    if len(hits) != 1:
        raise GdbError("cannot tell the frame parameter of %r" % params)
    return hits[0]


def state_bits(ptype_text):
    """{name: (byte offset, bit position)} of the state bitfields, from
    `ptype/o PyASCIIObject`."""
    bits = {}
    for m in re.finditer(r"/\*\s*(\d+):\s*(\d+)\s*\|\s*\d+\s*\*/\s*unsigned int (\w+) : (\d+);",
                         ptype_text):
        bits[m.group(3)] = (int(m.group(1)), int(m.group(2)), int(m.group(4)))
    return bits


def code_tag(minor, res):
    """The tag bits of the frame's code pointer. 3.14's f_executable is a
    _PyStackRef, `union { uintptr_t bits; }` in a GIL build, whose low bit
    (Py_TAG_BITS = Py_TAG_REFCNT = 1, Include/internal/pycore_stackref.h;
    macros are not in the DWARF) marks a deferred reference. Other
    versions: a plain PyObject * (3.13) or PyCodeObject *, no tag. A
    free-threaded 3.14t's has the same shape, and its Py_TAG_BITS (the
    Py_GIL_DISABLED branch of the same header) is 1 as well: Py_TAG_DEFERRED.
    A stackref of another shape (a debug build's) is refused: the rule
    would need re-reading CPython."""
    t = res.get("exectype", "")
    if minor <= 12:
        return 0
    if re.search(r"=\s*(PyObject|PyCodeObject) \*\s*$", t.strip()):
        return 0
    if "_PyStackRef" in t:
        body = " ".join(res.get("tagbits", "").split())
        if re.match(r"^type = union (_PyStackRef )?\{ uintptr_t bits; \}$", body):
            return 1
        raise GdbError("3.%d: _PyStackRef is %r, expected union { uintptr_t bits; }"
                       % (minor, body))
    raise GdbError("3.%d: f_executable is %r" % (minor, t.strip()))


def derive(lib, minor, ft=False):
    """Return ({field: value}, [warnings]) for one libpython (FT: a
    free-threaded build's)."""
    q = queries(minor, ft)
    cmds = [(f, "print " + e) for f, e in q.items() if e]
    cmds += [("absent%d" % i, "print " + e) for i, e in enumerate(absent_checks(minor, ft))]
    cmds += [("ftflag", "print (long)_PyRuntime.debug_offsets.free_threaded")]
    cmds += [("tstate_current%d" % i, "print " + e) for i, e in enumerate(TSTATE_CURRENT)]
    cmds += instr_queries()
    cmds += [("flagsize", "print (long)sizeof(((PyCodeObject *)0)->co_flags)")]
    cmds += [("exectype", "whatis ((_PyInterpreterFrame *)0)->f_executable"),
             ("tagbits", "ptype _PyStackRef")]
    cmds += [("evalproto", "ptype _PyEval_EvalFrameDefault"),
             ("ascii", "ptype/o PyASCIIObject")]
    res = gdb_run(lib, cmds)
    vals, notes = {"version_hex": 0x03000000 | (minor << 16)}, []
    for f, e in q.items():
        if e is None:
            vals[f] = 0 if f in ABSENT_ZERO else -1
            continue
        v = print_value(res.get(f, ""))
        if v is None:
            raise GdbError("3.%d: %s: %s" % (minor, e, res.get(f, "").strip()))
        vals[f] = v
    for i, e in enumerate(absent_checks(minor, ft)):
        if print_value(res.get("absent%d" % i, "")) is not None:
            raise GdbError("3.%d: %s exists but the table says -1" % (minor, e))
    vals["frame_instr"], vals["frame_instr_start"] = instr_fields(minor, res)
    if print_value(res.get("flagsize", "")) != 4:  # tr_py_layout says int
        raise GdbError("3.%d: sizeof(co_flags) is %s, expected 4"
                       % (minor, res.get("flagsize", "").strip()))
    vals["frame_code_tag"] = code_tag(minor, res)
    vals["runtime_tstate_current"] = -1
    for i, e in enumerate(TSTATE_CURRENT):
        v = print_value(res.get("tstate_current%d" % i, ""))
        if v is not None:
            vals["runtime_tstate_current"] = v
            notes.append("%s: current tstate via %s" % (label(minor, ft), e))
            break
    else:
        notes.append("%s: no current-tstate field in _PyRuntimeState" % label(minor, ft))
    vals["eval_frame_arg"] = frame_arg_index(res.get("evalproto", ""))
    # compact-string state bits: kind K..K+2, compact K+3, ascii K+4 of
    # `state` (a 32-bit word, little-endian): K = 2 after `interned : 2`
    # in a GIL build, 8 after the whole byte `unsigned char interned` of a
    # free-threaded one (gdb shows those as byte 49 bit 0, etc.)
    bits = state_bits(res.get("ascii", ""))
    kind = bits.get("kind")
    shift = (kind[0] - vals["unicode_state"]) * 8 + kind[1] if kind else None
    want = {"kind": (0, 3), "compact": (3, 1), "ascii": (4, 1)}
    for name, (rel, width) in want.items():
        got = bits.get(name)
        pos = None if got is None else (got[0] - vals["unicode_state"]) * 8 + got[1]
        if (shift not in (2, 8) or got is None or got[2] != width or pos != shift + rel
                or pos + width > 32):
            raise GdbError("3.%d: state.%s is %r, expected bit %s+%d width %d of byte %d"
                           % (minor, name, got, shift, rel, width, vals["unicode_state"]))
    vals["unicode_kind_shift"] = shift
    notes.append("%s: state bits kind %d-%d, compact %d, ascii %d: ok"
                 % (label(minor, ft), shift, shift + 2, shift + 3, shift + 4))
    # the build's own word for it (3.13+: _Py_DebugOffsets.free_threaded;
    # Py_GIL_DISABLED is a macro, not in the DWARF): must be what its
    # directory's name says
    flag = print_value(res.get("ftflag", "")) if minor >= 13 else 0
    if flag is None or bool(flag) != ft:
        raise GdbError("%s: _Py_DebugOffsets.free_threaded is %s"
                       % (label(minor, ft), res.get("ftflag", "").strip()))
    vals["free_threaded"] = int(ft)
    if ft and minor < 14:
        raise GdbError("%s: free-threaded builds before 3.14 have no thread-local "
                       "bytecode fields here: not derived" % label(minor, ft))
    return vals, notes


def label(minor, ft):
    return "3.%d%s" % (minor, "t" if ft else "")


def find_builds(root):
    """{(minor, ft): (version dir name, libpython path)}, the newest patch of
    each; free-threaded builds (3.X.Yt) from 3.14, where the table has rows
    for them"""
    builds = {}
    for minor in MINORS:
        for ft in (False, True) if minor >= 14 else (False,):
            t = "t" if ft else ""
            dirs = [d for d in glob.glob(os.path.join(root, "3.%d.*" % minor))
                    if re.match(r"^3\.%d\.\d+%s$" % (minor, t), os.path.basename(d))]
            dirs.sort(key=lambda d: int(os.path.basename(d).rstrip("t").split(".")[2]))
            if not dirs:
                builds[minor, ft] = (None, "no %s/3.%d.*%s build" % (root, minor, t))
                continue
            lib = os.path.join(dirs[-1], "lib", "libpython3.%d%s.so.1.0" % (minor, t))
            if not os.path.isfile(lib):
                builds[minor, ft] = (None, "%s is missing" % lib)
                continue
            builds[minor, ft] = (os.path.basename(dirs[-1]), lib)
    # builds of versions past the table: said, never silently ignored
    for d in sorted(glob.glob(os.path.join(root, "3.*"))):
        m = re.match(r"^3\.(\d+)\.\d+t$", os.path.basename(d))
        if m and int(m.group(1)) < 14:
            print("# skip %s: a free-threaded build before 3.14 (no row: the tracer "
                  "refuses it)" % os.path.basename(d), file=sys.stderr)
        m = re.match(r"^3\.(\d+)\.\d+$", os.path.basename(d))
        if m and int(m.group(1)) > max(MINORS):
            print("# skip %s: past the versions this tool derives (3.%d-3.%d)"
                  % (os.path.basename(d), min(MINORS), max(MINORS)), file=sys.stderr)
    return builds


def c_row(minor, ft, name, v):
    def fmt(f):
        return ("0x%08x" % v[f]) if f == "version_hex" else str(v[f])
    py = ", ".join(".%s = %s" % (f, fmt(f)) for f in PY_FIELDS)
    rt = ", ".join(".%s = %s" % (f, fmt(f)) for f in RT_FIELDS)
    return ("\t/* %s (from %s) */\n\t{ .py = { %s },\n\t  .rt = { %s } },"
            % (label(minor, ft), name, py, rt))


def tracer_layout(tracer, what, from_binary=None):
    """`tracer layout 3.X` (the built-in table), or with FROM_BINARY the
    layout the tracer reads from that file's _Py_DebugOffsets"""
    args = ["layout", "--from-binary", from_binary] if from_binary else ["layout", what]
    p = subprocess.run([tracer] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip())
    got = {}
    for line in p.stdout.splitlines():
        k, sep, val = line.partition("=")
        if not sep:
            return None, "bad line %r" % line
        got[k.strip()] = int(val.strip(), 0)
    return got, None


def compare(want, got):
    """List of differences between two {field: value} dicts."""
    diffs = []
    for f in ALL_FIELDS:
        if f not in got:
            diffs.append("%s missing (want %d)" % (f, want[f]))
        elif got[f] != want[f]:
            diffs.append("%s=%d, DWARF says %d" % (f, got[f], want[f]))
    for f in sorted(set(got) - set(ALL_FIELDS)):
        diffs.append("unexpected field %s" % f)
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="compare with `TRACER layout 3.X`, exit 1 on differences")
    mode.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--tracer", default=os.path.join(REPO, "build", "tracer"))
    ap.add_argument("--root", default=os.path.join(
        os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions"))
    ap.add_argument("--version", action="append", metavar="3.X",
                    help="only this version (repeatable)")
    args = ap.parse_args()

    builds = find_builds(args.root)
    if args.version:
        keep = set()
        for s in args.version:
            m = re.match(r"^3\.(\d+)(t?)$", s)
            if not m or int(m.group(1)) not in MINORS:
                ap.error("unsupported version %s" % s)
            keep.add((int(m.group(1)), m.group(2) == "t"))
        builds = {k: v for k, v in builds.items() if k in keep}

    results, failed, checked = {}, False, 0
    for (minor, ft), (name, lib) in sorted(builds.items()):
        if name is None:
            print("# skip %s: %s" % (label(minor, ft), lib), file=sys.stderr)
            continue
        try:
            vals, notes = derive(lib, minor, ft)
        except GdbError as e:
            print("error: %s" % e, file=sys.stderr)
            failed = True
            continue
        for n in notes:
            print("# " + n, file=sys.stderr)
        results[minor, ft] = (name, vals)
        if args.check:
            # the built-in table's row and, 3.13+, the layout read from the
            # build's own _Py_DebugOffsets (its fields, the rest from the
            # table): each must be DWARF's
            sources = [(label(minor, ft), None,
                        "%d fields match DWARF of %s" % (len(ALL_FIELDS), name))]
            if minor >= 13:
                sources.append(("%s _Py_DebugOffsets" % label(minor, ft), lib,
                                "_Py_DebugOffsets of %s agree with DWARF" % name))
            for what, from_binary, ok in sources:
                got, err = tracer_layout(args.tracer, label(minor, ft), from_binary)
                if got:
                    got["version_hex"] &= 0xffff0000	# the table has major.minor only
                diffs = [err] if err else compare(vals, got)
                checked += 1
                failed |= bool(diffs)
                for d in diffs:
                    print("%s: %s" % (what, d))
                if not diffs:
                    print("%s: ok (%s)" % (what, ok))

    if args.json:
        json.dump({label(m, ft): dict(v, build=n) for (m, ft), (n, v) in results.items()},
                  sys.stdout, indent=1, sort_keys=True)
        print()
    elif not args.check:
        print("\t/* BEGIN generated by tools/derive-offsets.py */")
        for (minor, ft), (name, vals) in sorted(results.items()):
            print(c_row(minor, ft, name, vals))
        print("\t/* END generated by tools/derive-offsets.py */")
    if args.check and checked == 0:
        print("nothing checked", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

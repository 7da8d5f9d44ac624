# cover_boot.py - coverage bootstrap for CPython 3.12+ (PEP 669 sys.monitoring).
# The tracer runs the target with PYTHONPATH=/proc/<tracer>/fd/<n>[:original], fd n being a memfd
# holding a zip whose only member sitecustomize.py = cover_rules.py + this file.  Environment:
#   TRACER_ORIG_PYTHONPATH  the original PYTHONPATH (set only if there was one)
#   TRACER_COVER_CWD        directory relative co_filenames are resolved against
#   TRACER_COVER_INCLUDE / TRACER_COVER_OMIT   globs, one a line (may be empty or absent)
#   TRACER_COVER_KEY        16 hex digits: the session's key, which every hand-over starts with
#   TRACER_COVER_CALLS      N (only when the tracer probes no call): count calls too, and hand
#                           the counts over every N calls and at exit
# It restores the environment, removes its sys.path / importer-cache entries, turns PEP 669 events
# on for the code objects of measured files, then chains to the real sitecustomize.
#
# Two tools.  `discover` (global PY_START, one call per code object: DISABLE) sorts a code object
# out by its file; for a measured one it turns on the other tool's local events: LINE, and with
# TRACER_COVER_CALLS, PY_START and PY_RESUME, whose callback only appends the code object to a
# list (a throw into a generator, PY_THROW, is global: it checks the file).  Those three are the
# events sys.setprofile reports as 'call' on 3.12+, so the counts are its counts.
#
# Each LINE location reports once: the callback returns DISABLE, and when all of a code object's
# lines are seen, its LINE events are dropped (same-line jump targets never call the callback).  A
# line whose instructions are not contiguous can still come more than once: the receiver keeps a set.
#
# Hand-over: sys.getsizeof(blob), blob a bytes object (format: user/analysis/cover_blob.h).  The tracer's
# uprobe on _PySys_GetSizeOf copies it; nothing is written anywhere.  Lines go at once; calls
# every N and at exit (atexit); 'A' says the events are on, 'E' that the last counts went.
#
# Every function here that the interpreter calls has co_firstlineno 2100000001: the tracer hides
# their frames, and all they call, from a trace.


def _tracer_boot():
    import sys, os, zipimport                           # all loaded already at this point
    env = os.environ
    orig = env.pop("TRACER_ORIG_PYTHONPATH", None)
    if orig is None:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = orig
    cwd = env.get("TRACER_COVER_CWD") or os.getcwd()
    includes = [g for g in env.get("TRACER_COVER_INCLUDE", "").split("\n") if g]
    omits = [g for g in env.get("TRACER_COVER_OMIT", "").split("\n") if g]
    key = bytes.fromhex(env.get("TRACER_COVER_KEY", "") or "00" * 8)
    every = int(env.get("TRACER_COVER_CALLS", "0") or 0)
    for k in [k for k in env if k.startswith("TRACER_COVER_")]:
        del env[k]
    here = os.path.dirname(__file__)                    # /proc/<tracer>/fd/<n>
    for p in [p for p in sys.path if os.path.abspath(p or ".") == here]:
        sys.path.remove(p)
        sys.path_importer_cache.pop(p, None)
        zipimport._zip_directory_cache.pop(p, None)

    mon = getattr(sys, "monitoring", None)
    if mon is None or len(key) != 8:
        return
    tools = [t for t in (4, 3, 5, 2) if mon.get_tool(t) is None][:2]
    if len(tools) < 2:
        return
    finder, counter = tools
    mon.use_tool_id(finder, "tracer")
    mon.use_tool_id(counter, "tracer")
    E = mon.events
    DISABLE, set_local, getsizeof = mon.DISABLE, mon.set_local_events, sys.getsizeof
    local = E.LINE | (E.PY_START | E.PY_RESUME if every else 0)
    RESUME = (lambda: 0).__code__.co_code[0]            # first opcode of a plain function (no `dis`)
    head = b"TRCOVv1\0" + key
    seq = iter(range(1, 1 << 32))                       # next() is atomic: threads may send
    measured = {}                                       # co_filename -> bool
    idents = {}                                         # id(code) -> (file, qualname, firstlineno)
    pending = {}                                        # id(code) -> set of lines not reported yet
    calls = []                                          # code objects, a call each
    token = [1]                                         # whoever pops it flushes
    failed = [0]                                        # records lost to an exception here

    def enc(s):
        try:
            return s.encode("utf-8", "surrogateescape")
        except UnicodeError:                            # a lone surrogate of another kind
            return s.encode("utf-8", "backslashreplace")

    def record(kind, ident, line, count):
        """one record (user/analysis/cover_blob.h), None when too long for a blob"""
        f, n, first = ident
        if len(f) + len(n) > 4096 - 48:
            return None
        return b"".join((kind, b"\0", len(f).to_bytes(2, "little"), len(n).to_bytes(2, "little"),
                         b"\0\0", (first & 0xffffffff).to_bytes(4, "little"),
                         (line & 0xffffffff).to_bytes(4, "little"),
                         min(count, (1 << 64) - 1).to_bytes(8, "little"), f, n))

    NONE = (b"", b"", 0)

    def send(records):
        blob, unsent = [], failed[0]
        failed[0] = 0
        size = 24
        for r in records:
            if r is None:
                unsent += 1
                continue
            if size + len(r) > 4096:
                getsizeof(b"".join([head, next(seq).to_bytes(4, "little"), b"\0" * 4] + blob))
                blob, size = [], 24
            blob.append(r)
            size += len(r)
        if unsent:
            blob.append(record(b"S", NONE, 0, unsent))
        if blob:
            getsizeof(b"".join([head, next(seq).to_bytes(4, "little"), b"\0" * 4] + blob))

    def expected_lines(code):
        """cover_map.py's rule for 3.12+: co_lines() minus the prologue up to the first RESUME
        (co_code is deoptimized, caches zeroed: scanning the opcode bytes is exact)."""
        raw, skip = code.co_code, 0
        for off in range(0, len(raw), 2):
            if raw[off] == RESUME:
                skip = off + 2
                break
        return {l for s, e, l in code.co_lines() if l is not None and e > skip}

    def is_measured(code):
        fn = code.co_filename
        m = measured.get(fn)
        if m is None:
            m = measured[fn] = _tracer_cover_status(fn, includes, omits, cwd) == "measured"
        return m

    def adopt(code):
        """A code object of a measured file starts being watched by the counting tool."""
        idents[id(code)] = (enc(code.co_filename), enc(code.co_qualname), code.co_firstlineno)
        lines = expected_lines(code)
        if lines:
            pending[id(code)] = lines
        if lines or every:
            set_local(counter, code, local if lines else local & ~E.LINE)

    def discover(code, offset):                         # first start of each code object
        try:
            if is_measured(code):
                adopt(code)
                if every:
                    calls.append(code)                  # this call: `count` is not called for it
        except Exception:                               # e.g. at shutdown: never disturb the target
            failed[0] += 1
        return DISABLE

    def line_event(code, line):
        try:
            left = pending.get(id(code))
            if left is not None:
                left.discard(line)
                if not left:                            # every line seen: drop its LINE events
                    pending.pop(id(code), None)
                    set_local(counter, code, local & ~E.LINE)
            send((record(b"L", idents[id(code)], line, 0),))
        except Exception:
            failed[0] += 1
        return DISABLE

    def flush(final):
        try:
            token.pop()
        except IndexError:                              # another thread is flushing
            return
        try:
            n = len(calls)
            chunk = calls[:n]
            del calls[:n]                               # calls appended meanwhile stay
            tally = {}
            for i in map(id, chunk):
                tally[i] = tally.get(i, 0) + 1
            recs = [record(b"C", idents[i], 0, c) for i, c in tally.items()]
            del chunk                                   # (its code objects kept their ids alive)
            if final:
                recs.append(record(b"E", NONE, 0, 0))
            send(recs)
        except Exception:
            failed[0] += 1
        finally:
            token.append(1)

    def count(code, offset, ap=calls.append, calls=calls, len=len, every=every):
        ap(code)
        if len(calls) >= every:
            flush(False)

    def thrown(code, offset, exc):                      # PY_THROW: a 'call' for sys.setprofile
        try:
            if is_measured(code):
                if id(code) not in idents or idents[id(code)][2] != code.co_firstlineno:
                    adopt(code)                         # thrown into before it ever started
                calls.append(code)
        except Exception:
            failed[0] += 1

    def at_exit():
        flush(True)

    hidden = (adopt, discover, line_event, flush, count, thrown, at_exit, send, record, enc,
              is_measured, expected_lines)
    for f in hidden:
        f.__code__ = f.__code__.replace(co_firstlineno=2100000001)
    mon.register_callback(finder, E.PY_START, discover)
    mon.register_callback(counter, E.LINE, line_event)
    if every:
        mon.register_callback(counter, E.PY_START, count)
        mon.register_callback(counter, E.PY_RESUME, count)
        mon.register_callback(finder, E.PY_THROW, thrown)
        had = "atexit" in sys.modules
        import atexit                                   # a built-in module: no file is read
        atexit.register(at_exit)
        if not had:                                     # leave sys.modules as it was
            del sys.modules["atexit"]
    mon.set_events(finder, E.PY_START | (E.PY_THROW if every else 0))
    send((record(b"A", NONE, 0, 0),))
    return True


_tracer_boot.__code__ = _tracer_boot.__code__.replace(co_firstlineno=2100000001)
_tracer_boot()

# Chain to the real sitecustomize (outside the hidden boot function: it is the target's code).
# Found: it replaces us in sys.modules.  None: raise the ImportError that site.py ignores, after
# which importlib drops us from sys.modules.
import sys
_tracer_me = sys.modules.pop("sitecustomize")
try:
    import sitecustomize
except ImportError as e:
    if e.name != "sitecustomize":
        raise
    sys.modules["sitecustomize"] = _tracer_me
    raise ImportError("no sitecustomize", name="sitecustomize") from None

# cover_boot.py - line-coverage bootstrap for CPython 3.12+ (PEP 669 sys.monitoring).
# The tracer runs the target with PYTHONPATH=/proc/<tracer>/fd/<n>[:original], fd n being a memfd
# holding a zip whose only member sitecustomize.py = cover_rules.py + this file.  Environment:
#   TRACER_ORIG_PYTHONPATH  the original PYTHONPATH (set only if there was one)
#   TRACER_COVER_CWD        directory relative co_filenames are resolved against
#   TRACER_COVER_INCLUDE / TRACER_COVER_OMIT   globs, one a line (may be empty or absent)
# It restores the environment, removes its sys.path / importer-cache entries, turns PEP 669 LINE
# events on for the code objects of measured files, then chains to the real sitecustomize.
#
# Protocol with the BPF side (callbacks are recognised by their code object's co_firstlineno):
#   2100000001  the boot function and the PY_START callback: hidden, with everything they call;
#   2100000002  the LINE callback; localsplus[0], [1] = (code, line).  Called once more, from
#               the module level after a successful boot, as (None, 0): "line events are on".
# Each LINE location (instruction) reports once: the callback returns DISABLE, and when all of a
# code object's lines are seen, set_local_events(tool, code, 0) drops what DISABLE cannot reach
# (same-line jump targets never call the callback).  A line whose instructions are not contiguous
# (decorators, multi-line calls, loop conditions) can still come more than once per code object
# (w.py on 3.12: 97 calls for 78 lines): the receiving side keeps a set.


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
    for k in [k for k in env if k.startswith("TRACER_COVER_")]:
        del env[k]
    here = os.path.dirname(__file__)                    # /proc/<tracer>/fd/<n>
    for p in [p for p in sys.path if os.path.abspath(p or ".") == here]:
        sys.path.remove(p)
        sys.path_importer_cache.pop(p, None)
        zipimport._zip_directory_cache.pop(p, None)

    mon = getattr(sys, "monitoring", None)
    if mon is None:
        return
    for tool in (4, 3):                                 # ids CPython leaves free (coverage.py uses 1)
        if mon.get_tool(tool) is None:
            break
    else:
        return
    mon.use_tool_id(tool, "tracer")
    DISABLE, LINE, set_local = mon.DISABLE, mon.events.LINE, mon.set_local_events
    RESUME = (lambda: 0).__code__.co_code[0]            # first opcode of a plain function (no `dis`)
    measured = {}                                       # co_filename -> bool
    pending = {}                                        # id(code) -> set of lines not reported yet

    def expected_lines(code):
        """cover_map.py's rule for 3.12+: co_lines() minus the prologue up to the first RESUME
        (co_code is deoptimized, caches zeroed: scanning the opcode bytes is exact)."""
        raw, skip = code.co_code, 0
        for off in range(0, len(raw), 2):
            if raw[off] == RESUME:
                skip = off + 2
                break
        return {l for s, e, l in code.co_lines() if l is not None and e > skip}

    def start(code, offset):                            # first start of each code object
        try:
            fn = code.co_filename
            m = measured.get(fn)
            if m is None:
                m = measured[fn] = _tracer_cover_status(fn, includes, omits, cwd) == "measured"
            if m:
                lines = expected_lines(code)
                if lines:
                    pending[id(code)] = lines
                    set_local(tool, code, LINE)
        except Exception:                               # e.g. at shutdown: never disturb the target
            pass
        return DISABLE

    def line_event(code, line):                         # BPF reads localsplus[0], [1] = code, line
        left = pending.get(id(code))
        if left is not None:
            left.discard(line)
            if not left:                                # every line seen: drop all LINE events
                pending.pop(id(code), None)
                set_local(tool, code, 0)
        return DISABLE

    for f, n in ((start, 2100000001), (line_event, 2100000002)):
        f.__code__ = f.__code__.replace(co_firstlineno=n)
    assert line_event.__code__.co_varnames[:2] == ("code", "line")
    mon.register_callback(tool, LINE, line_event)
    mon.register_callback(tool, mon.events.PY_START, start)
    mon.set_events(tool, mon.events.PY_START)
    return line_event


_tracer_boot.__code__ = _tracer_boot.__code__.replace(co_firstlineno=2100000001)
_tracer_line = _tracer_boot()
if _tracer_line is not None:    # tells the tracer line events are on (outside the hidden function)
    _tracer_line(None, 0)
del _tracer_line

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

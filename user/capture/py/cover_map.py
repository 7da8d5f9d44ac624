# cover_map.py - line-coverage denominators ("code map") of source files, as THIS interpreter
# compiles them (CPython 3.8 - 3.13).  Runs after cover_rules.py (same -c text):
#   INTERP -I -S -c "<cover_rules.py + cover_map.py>" OPTIMIZE CWD [--include GLOB]... [--omit GLOB]...
#          [--source]
# stdin: co_filename values, one a line, escaped (\\ \n \r \t).  stdout (UTF-8):
#   tracer-codemap 1
#   python X.Y.Z
#   file <status> <name>                 one per distinct input name, in input order
#   abs <absolute path>                  after a "measured" file line
#   func <firstlineno> <lines> <qualname>   after abs, one per code object (preorder walk)
#   source <text>                        --source: after the funcs, the file's text as the compiler
#                                        decoded it (coding cookie, BOM), newlines made \n; none for an
#                                        empty file or one over 4 MiB
#   error <message>                      instead of abs/func: status "error" (unreadable/uncompilable;
#                                        a file this process's user may not read is one, never "no-source")
# It runs with the traced process's credentials (user/os/run_as.c): what it reads, that process could.
# <lines> = ascending comma-separated line numbers, "-" if none.  Exit 2 only on bad usage.
import dis
import os
import sys
import types
import warnings

warnings.simplefilter("ignore")                        # compile()'s SyntaxWarnings stay off stderr

CO_NEWLOCALS = 0x2


def _tracer_escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _tracer_unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            c = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}.get(s[i + 1:i + 2])
            if c is None:
                raise ValueError("bad escape in input name %r" % s)
            i += 1
        out.append(c)
        i += 1
    return "".join(out)


def _tracer_code_lines(co):
    """Lines a LINE / settrace 'line' event can be reported for (the rule of lines_of.py):
    co_lines() minus the prologue up to and including the first RESUME (3.11+) or 3.10's
    GEN_START; dis.findlinestarts() on 3.8/3.9."""
    if sys.version_info >= (3, 10):
        skip = 0
        for ins in dis.get_instructions(co):
            if ins.opname in ("RESUME", "GEN_START"):
                skip = ins.offset + 2
                break
            if sys.version_info < (3, 11):             # only 3.10's GEN_START at offset 0
                break
        return sorted({l for s, e, l in co.co_lines() if l is not None and e > skip})
    return sorted({l for off, l in dis.findlinestarts(co)})


def _tracer_walk(co, parent_qual, parent_is_func, out):
    """Preorder walk of co_consts; qualname rebuilt like the compiler does before 3.11."""
    qual = getattr(co, "co_qualname", None)
    if qual is None:
        qual = co.co_name if parent_qual is None else (
            parent_qual + (".<locals>." if parent_is_func else ".") + co.co_name)
    is_module = parent_qual is None and co.co_name == "<module>"
    lines = _tracer_code_lines(co)
    out.append("func %d %s %s\n" % (co.co_firstlineno, ",".join(map(str, lines)) or "-",
                                    _tracer_escape("<module>" if is_module else qual)))
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            _tracer_walk(c, None if is_module else qual, bool(co.co_flags & CO_NEWLOCALS), out)


def _tracer_error_text(e):
    if isinstance(e, SyntaxError) and e.lineno:       # the file name would be redundant
        return "%s: %s (line %d)" % (type(e).__name__, e.msg, e.lineno)
    return "%s: %s" % (type(e).__name__, e)


def _tracer_denied_text(e):
    return "cannot be read with the process's rights (uid %d): %s" % (os.getuid(), e.strerror)


def _tracer_denied(path):
    """why the process's user may not even look at PATH (this program runs with its rights,
    never root's: SECURITY.md), or None"""
    try:
        os.stat(path)
    except PermissionError as e:
        return _tracer_denied_text(e)
    except (OSError, ValueError):
        pass
    return None


def _tracer_map_main(argv):
    usage = "usage: -c CODE OPTIMIZE CWD [--include GLOB]... [--omit GLOB]... [--source]"
    if len(argv) < 2 or argv[0] not in ("-1", "0", "1", "2") or not os.path.isabs(argv[1]):
        sys.stderr.write(usage + "\n")
        return 2
    optimize, cwd, globs = int(argv[0]), argv[1], {"--include": [], "--omit": []}
    rest = argv[2:]
    want_source = len(rest) % 2 == 1 and rest[-1] == "--source"   # last, alone: never a glob
    if want_source:
        rest = rest[:-1]
    while rest:
        if len(rest) < 2 or rest[0] not in globs:
            sys.stderr.write(usage + "\n")
            return 2
        globs[rest[0]].append(rest[1])
        rest = rest[2:]
    try:
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        names = [_tracer_unescape(n) for n in text.split("\n")]
    except ValueError as e:
        sys.stderr.write("%s\n" % e)
        return 2
    if text == "" or text.endswith("\n"):
        names.pop()                                    # nothing after the last terminator
    _tracer_cover_dirs(use_sysconfig=True)             # -S: no site.main(); sysconfig is cheap here
    out = ["tracer-codemap 1\n", "python %d.%d.%d\n" % sys.version_info[:3]]
    seen = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        status = _tracer_cover_status(name, globs["--include"], globs["--omit"], cwd)
        rec = []
        denied = status == "no-source" and _tracer_denied(_tracer_abspath(name, cwd))
        if denied:                                     # not "no-source": it may exist
            status, rec = "error", ["error %s\n" % _tracer_escape(denied)]
        if status == "measured":
            ap = _tracer_abspath(name, cwd)
            try:
                with open(ap, "rb") as f:              # bytes: the compiler reads the coding cookie
                    src = f.read()
                code = compile(src, name, "exec", dont_inherit=True, optimize=optimize)
                rec.append("abs %s\n" % _tracer_escape(ap))
                _tracer_walk(code, None, False, rec)
                if want_source and 0 < len(src) <= (4 << 20):
                    import importlib.util             # newlines made \n, as the compiler counts lines
                    rec.append("source %s\n" % _tracer_escape(importlib.util.decode_source(src)))
            except PermissionError as e:
                status, rec = "error", ["error %s\n" % _tracer_escape(_tracer_denied_text(e))]
            except Exception as e:                     # SyntaxError, OSError, ValueError (NUL), ...
                status, rec = "error", ["error %s\n" % _tracer_escape(_tracer_error_text(e))]
        out.append("file %s %s\n" % (status, _tracer_escape(name)))
        out += rec
    sys.stdout.buffer.write("".join(out).encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()
    return 0


sys.exit(_tracer_map_main(sys.argv[1:]))

# cover_rules.py - which source files `tracer` measures for line coverage (CPython 3.8 - 3.13).
# Shared by cover_map.py (run as `python -I -S -c`) and cover_boot.py (a sitecustomize running at
# startup): the C side concatenates this text in front of either script.  Everything is prefixed
# `_tracer_`, the module level only defines functions (no imports beyond os/sys, which are always
# loaded), and the directory lists are computed once, on first use.  No `re`/`fnmatch`/`sysconfig`
# here: importing them would cost ~8-10 ms at startup and show up in the target's sys.modules.
import os
import sys


def _tracer_abspath(path, cwd):
    """co_filename -> absolute normalized path (relative names are resolved against cwd)."""
    return os.path.normpath(os.path.join(cwd, path))


def _tracer_glob_compile(pat):
    """A glob (fnmatch.fnmatchcase syntax, '*' also matches '/') -> list of tokens:
    None for '*', else (negate, ((lo, hi), ...)) matching one character."""
    toks, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        i += 1
        if c == "*":
            if not toks or toks[-1] is not None:
                toks.append(None)
        elif c == "?":
            toks.append((True, ()))                    # "not in the empty set" = any character
        elif c == "[":
            j = i + 1 if pat[i:i + 1] == "!" else i
            j = pat.find("]", j + 1 if pat[j:j + 1] == "]" else j)   # a leading ']' is literal
            if j < 0:                                  # no closing bracket: a literal '['
                toks.append((False, (("[", "["),)))
                continue
            neg = pat[i] == "!"
            body, items, k = pat[i + neg:j], [], 0
            while k < len(body):                       # "a-z" ranges; '-' first or last is literal
                if k + 2 < len(body) and body[k + 1] == "-":
                    items.append((body[k], body[k + 2]))
                    k += 3
                else:
                    items.append((body[k], body[k]))
                    k += 1
            toks.append((neg, tuple(items)))
            i = j + 1
        else:
            toks.append((False, ((c, c),)))
    return toks


def _tracer_glob_match(s, toks):
    """Wildcard match with backtracking to the last '*' (tokens from _tracer_glob_compile)."""
    i = j = 0
    star, mark, n = -1, 0, len(toks)
    while i < len(s):
        t = toks[j] if j < n else 0
        if t is None:                                  # '*': first try to match nothing
            star, mark = j, i
            j += 1
        elif t and any(lo <= s[i] <= hi for lo, hi in t[1]) != t[0]:
            i += 1
            j += 1
        elif star >= 0:                                # let the last '*' eat one more character
            mark += 1
            i, j = mark, star + 1
        else:
            return False
    while j < n and toks[j] is None:
        j += 1
    return j == n


_tracer_glob_cache = {}


def _tracer_glob_any(path, globs):
    for g in globs:
        toks = _tracer_glob_cache.get(g)
        if toks is None:
            toks = _tracer_glob_cache[g] = _tracer_glob_compile(g)
        if _tracer_glob_match(path, toks):
            return True
    return False


_tracer_cover_dirs_cache = None


def _tracer_cover_dirs(use_sysconfig=False):
    """(site-packages dirs, stdlib dirs) of this interpreter, computed once.  The stdlib is found
    from os.__file__ and the posix_prefix scheme ({base_prefix}/{lib,platlibdir}/pythonX.Y); only
    cover_map.py asks for sysconfig's paths too (more directories there can only turn "measured"
    into "stdlib"/"site-packages", never the other way round)."""
    global _tracer_cover_dirs_cache
    if _tracer_cover_dirs_cache is not None:
        return _tracer_cover_dirs_cache
    sitep = []
    try:
        import site                                    # already loaded unless -S; importing it is inert
        sitep += site.getsitepackages()
        saved = (site.ENABLE_USER_SITE, site.USER_BASE, site.USER_SITE)
        try:                                           # getusersitepackages() sets site.USER_*: put
            sitep.append(site.getusersitepackages())   # them back (they stay None under -s / -I)
        finally:
            site.ENABLE_USER_SITE, site.USER_BASE, site.USER_SITE = saved
    except Exception:                                  # an unusual site.py: the name rule still applies
        pass
    ver = "python%d.%d" % sys.version_info[:2]
    std = [os.path.dirname(os.__file__)]
    for prefix in (sys.base_prefix, sys.base_exec_prefix):
        for lib in ("lib", getattr(sys, "platlibdir", "lib")):
            std.append(os.path.join(prefix, lib, ver))
    if use_sysconfig:
        import sysconfig
        paths = sysconfig.get_paths()
        sitep += [paths.get("purelib"), paths.get("platlib")]
        std += [paths.get("stdlib"), paths.get("platstdlib")]

    def norm(dirs):                                    # absolute, + realpath variants, no duplicates
        out = []
        for d in dirs:
            if d:
                for v in (os.path.normpath(os.path.abspath(d)), os.path.realpath(d)):
                    if v not in out:
                        out.append(v)
        return tuple(out)
    _tracer_cover_dirs_cache = (norm(sitep), norm(std))
    return _tracer_cover_dirs_cache


def _tracer_under(path, dirs):
    for d in dirs:
        if path.startswith(d) and (len(path) == len(d) or path[len(d)] == "/" or d == "/"):
            return True
    return False


def _tracer_cover_status(path, includes, omits, cwd):
    """-> "measured", "stdlib", "site-packages", "omitted", "not-included" or "no-source"."""
    if not path or (path.startswith("<") and path.endswith(">")):   # <string>, <frozen os>, <stdin>
        return "no-source"
    ap = _tracer_abspath(path, cwd)
    if not os.path.isfile(ap):
        return "no-source"
    if omits and _tracer_glob_any(ap, omits):
        return "omitted"
    if includes:
        return "measured" if _tracer_glob_any(ap, includes) else "not-included"
    sitep, std = _tracer_cover_dirs()
    real = os.path.realpath(ap)
    for p in (ap, real):                               # venvs, --target dirs, Debian's dist-packages
        if "/site-packages/" in p or "/dist-packages/" in p or _tracer_under(p, sitep):
            return "site-packages"
    if _tracer_under(ap, std) or _tracer_under(real, std):
        return "stdlib"
    return "measured"

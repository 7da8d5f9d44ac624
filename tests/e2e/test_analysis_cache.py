# SPDX-License-Identifier: MIT
"""Root's cache of interpreter file analyses (user/cpython/binary_store.c,
user/os/root_cache.c): a second session on the same file takes the analysis
from the cache and traces the same calls as the first; a cache directory
another user controls is not used, and nothing is written into it.

Debian's python3.11 only: its analysis is the longest (stripped: the
table, exit_unwind and the sites all from the code) and it is the one
interpreter always present; the cache does not differ by version. Each
test uses a directory of its own (TRACER_CACHE_DIR), never root's real
cache."""
import os
import re
import stat
import tempfile

import helpers
import hostile
from ground_truth import ground_truth
from test_exact import check_trace, pid_from_stderr

WORKLOAD = helpers.WORKLOAD_BY_NAME["mixed"]
HIT = "came from root's cache"


def _session(tracer, interp, cache, out):
    p = helpers.run([tracer, "-v", "-o", str(out), "--", interp.python, WORKLOAD.path],
                    timeout=120, env=dict(helpers.target_env(), TRACER_CACHE_DIR=cache))
    assert p.returncode == 0, helpers.describe(p)
    return p


def _said(p):
    """what the session said of its target, the pid taken out"""
    return [re.sub(r"PID \d+", "PID N", l) for l in p.stderr.splitlines()
            if l.startswith(("tracer: PID", "tracer: warning"))]


def _sites(p):
    """-v's listing of the dispatch probe sites (user/capture/dispatch_say.c):
    its lines, after checking the header's count of sites against them"""
    lines = p.stderr.splitlines()
    head = [i for i, l in enumerate(lines) if l.startswith("tracer: dispatch probe sites in ")]
    assert len(head) == 1, helpers.describe(p)
    n = int(re.search(r" \((\d+) sites?[,)]", lines[head[0]]).group(1))
    body = lines[head[0] + 1:head[0] + 2 + n]
    site = re.compile(r"tracer:   (call|return|unwind|throw) \S.* at 0x[0-9a-f]+ "
                      r"\(file offset 0x[0-9a-f]+\), (emulated|single-stepped)")
    assert all(site.match(l) for l in body[:n]), body
    kinds = [site.match(l).group(1) for l in body[:n]]
    assert set(kinds) == {"call", "return", "unwind", "throw"}, body
    # gen.throw()'s branch has its site (user/cpython/throw_site.c): the
    # evaluator's entry, a trap on every call from C, is not probed
    assert kinds.count("throw") == 1, body
    assert body[n].startswith("tracer:   evaluator entry "), body
    assert body[n].endswith("not probed: gen.throw() has a site of its own"), body
    return body


def test_second_session_takes_the_cache(tracer, get_interp, tmp_path):
    interp = get_interp("debian3.11")
    truth = ground_truth(interp.python, WORKLOAD.path, WORKLOAD.files, env=helpers.target_env(),
                         tmpdir=tmp_path)
    cache = tempfile.mkdtemp(prefix="tracer-e2e-cache-", dir="/tmp")
    try:
        first = _session(tracer, interp, cache, tmp_path / "a.json")
        assert HIT not in first.stderr, helpers.describe(first)
        entries = os.listdir(cache)
        assert len(entries) == 1, entries
        st = os.lstat(os.path.join(cache, entries[0]))
        assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and \
            stat.S_IMODE(st.st_mode) == 0o600, st
        second = _session(tracer, interp, cache, tmp_path / "b.json")
        assert HIT in second.stderr, helpers.describe(second)
        # the same strategy and warnings; each session exact against the
        # interpreter's own count (sys.setprofile, a separate run)
        assert _said(second) == _said(first), (helpers.describe(first), helpers.describe(second))
        # -v lists every probe site of the plan, the same from the cache
        assert _sites(second) == _sites(first)
        for p, out in ((first, "a.json"), (second, "b.json")):
            check_trace(helpers.Chrome(tmp_path / out), interp, WORKLOAD, truth,
                        pid_from_stderr(p.stderr), "launch")
        assert os.listdir(cache) == entries
    finally:
        hostile.remove_dir(cache)


def test_cache_another_user_controls_is_not_used(tracer, get_interp, tmp_path):
    interp = get_interp("debian3.11")
    cache = hostile.make_nobody_dir(prefix="tracer-e2e-cache-theirs-")
    try:
        os.chmod(cache, 0o700)
        for name in ("a.json", "b.json"):
            p = _session(tracer, interp, cache, tmp_path / name)
            assert HIT not in p.stderr, helpers.describe(p)
        assert os.listdir(cache) == []
        # a directory of theirs on the way to root's own is refused too
        below = os.path.join(cache, "c")
        os.mkdir(below, 0o700)
        for name in ("c.json", "d.json"):
            p = _session(tracer, interp, below, tmp_path / name)
            assert HIT not in p.stderr, helpers.describe(p)
        assert os.listdir(below) == []
    finally:
        hostile.remove_dir(cache)

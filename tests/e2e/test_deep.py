# SPDX-License-Identifier: MIT
"""Deep recursion (issue 17, finding 5): stacks are cut at STACK_DEPTH_MAX
(2048, the sampler's limit) frames, deeper calls sharing one [truncated]
frame, so outputs and memory are bounded by the cap, not by the depth.

Before, a recursion 8000 deep made an 800 MB .folded (a line per depth,
each with every frame above it: quadratic in depth), and a recording of
2.5M nested calls made `tracer report` grow to 2.36 GB. Here pyenv's 3.12
recurses 8000 deep twice (the target counts its own frames: the ground
truth of how many calls were deeper than the cap); the session writes
every stack format and a recording, and `tracer report` converts the
recording under /usr/bin/time.
"""
import json
import os
import re
import subprocess

import helpers
from test_pprof import decode_profile

STACK_DEPTH_MAX = 2048          # user/model/stack_table.h = TR_SAMPLE_FRAMES_MAX
DEPTH = 8000
TIMEOUT = 600

TARGET = r'''
import sys
DEPTH = int(sys.argv[1])
sys.setrecursionlimit(DEPTH + 100)


def frames_here():
    """frames on the stack, this one included"""
    f, n = sys._getframe(), 0
    while f:
        n += 1
        f = f.f_back
    return n


def rec(n):
    if n == 0:
        sys.stderr.write("frames %d\n" % frames_here())
        return 0
    return rec(n - 1) + 1


def main():
    rec(DEPTH)
    rec(DEPTH)


main()
'''


def _folded(path):
    """[(frames, value)] of a .folded file, checking each line's shape"""
    out = []
    with open(path, "rb") as f:
        for line in f.read().decode("utf-8").split("\n")[:-1]:
            m = re.match(r"^(.+) (\d+)$", line)
            assert m, line[:200]
            out.append((m.group(1).split(";"), int(m.group(2))))
    return out


def _check_folded(path, deepest):
    size = os.path.getsize(path)
    stacks = _folded(path)
    longest = max(len(fr) for frames, _ in stacks for fr in frames)
    # no stack deeper than the cap and its marker; a line per depth up to
    # it (each depth of rec has self time), not one per depth of the program
    assert max(len(frames) for frames, _ in stacks) == STACK_DEPTH_MAX + 1
    rec_lines = [frames for frames, _ in stacks if any(f.startswith("rec (") for f in frames)]
    assert len(rec_lines) <= STACK_DEPTH_MAX + 1, len(rec_lines)
    assert len(stacks) - len(rec_lines) < 3000     # start-up: imports, site
    cut = [frames for frames, _ in stacks if frames[-1] == "[truncated]"]
    assert len(cut) == 1 and len(cut[0]) == STACK_DEPTH_MAX + 1, [len(c) for c in cut]
    assert all(fr.startswith("rec (") for fr in cut[0][-STACK_DEPTH_MAX + 1:-1])
    # the bound the cap gives: the lines under rec have 1 .. cap + 1
    # frames, at most the longest frame each (folded is quadratic in the
    # cap: a line holds all its frames); the start-up's lines as they are
    other = sum(len(";".join(f)) + 24 for f, _ in stacks
                if not any(fr.startswith("rec (") for fr in f))
    c = STACK_DEPTH_MAX + 1
    bound = c * (c + 1) // 2 * (longest + 1) + c * 24 + other
    assert size <= bound, (size, bound)
    # against the whole depth's: a tenth of it at most (the 8000-deep
    # recursion wrote 800 MB before)
    rec_frame = len(cut[0][-2]) + 1
    assert size < deepest * (deepest + 1) // 2 * rec_frame // 10, size
    assert deepest > STACK_DEPTH_MAX + 1000      # the program did go deeper
    return stacks


def _check_pprof(path, tmp_path):
    assert os.path.getsize(path) < 1 << 20
    prof = decode_profile(path, tmp_path)
    assert "[truncated]" in prof["string_table"]
    lens = [len(s.get("location_id", [])) for s in prof["sample"]]
    assert max(lens) == STACK_DEPTH_MAX + 1, max(lens)


def _check_svg(path, deeper):
    assert os.path.getsize(path) < 5 << 20
    p = subprocess.run(["xmllint", "--noout", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout[-2000:]
    text = open(path, encoding="utf-8").read()
    assert "[truncated]" in text
    assert "%d calls were deeper than %d frames" % (deeper, STACK_DEPTH_MAX) in text


def test_deep_recursion_bounded(tracer, get_interp, tmp_path):
    it = get_interp("pyenv3.12")
    d = str(tmp_path)
    script = os.path.join(d, "deep.py")
    with open(script, "w") as f:
        f.write(TARGET)
    outs = {k: os.path.join(d, "o" + k) for k in
            (".folded", ".svg", ".pprof", ".speedscope.json", ".trace")}
    cmd = [tracer]
    for o in list(outs.values()) + ["-"]:
        cmd += ["-o", o]
    p = helpers.run(cmd + ["--", it.python, script, str(DEPTH)], timeout=TIMEOUT,
                    env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    # the ground truth: the frames on the stack at the deepest point, twice
    seen = [int(x) for x in re.findall(r"^frames (\d+)$", p.stderr, re.M)]
    assert len(seen) == 2 and seen[0] == seen[1], p.stderr[-2000:]
    deeper = 2 * (seen[0] - STACK_DEPTH_MAX)
    warning = "warning: %d calls were deeper than %d frames: flame graphs and profiles " \
              "show them as one [truncated] frame under the %dth" % (
                  deeper, STACK_DEPTH_MAX, STACK_DEPTH_MAX)
    assert warning in p.stdout, p.stdout[-3000:]
    stacks = _check_folded(outs[".folded"], seen[0])
    _check_pprof(outs[".pprof"], tmp_path)
    _check_svg(outs[".svg"], deeper)
    # speedscope's evented profile: an open and a close per call, linear
    calls = 2 * (DEPTH + 2) + 1
    assert os.path.getsize(outs[".speedscope.json"]) < 200 * calls
    json.load(open(outs[".speedscope.json"]))

    # the recording converted: the same, in bounded memory
    r = {k: os.path.join(d, "r" + k) for k in (".folded", ".svg", ".pprof")}
    cmd = ["/usr/bin/time", "-v", tracer, "report", outs[".trace"]]
    for o in list(r.values()) + ["-"]:
        cmd += ["-o", o]
    p = helpers.run(cmd, timeout=TIMEOUT)
    assert p.returncode == 0, helpers.describe(p)
    assert warning in p.stdout
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    assert rss_kb < 100 * 1024, rss_kb
    assert [f for f, _ in _check_folded(r[".folded"], seen[0])] == [f for f, _ in stacks]
    _check_pprof(r[".pprof"], tmp_path)
    _check_svg(r[".svg"], deeper)

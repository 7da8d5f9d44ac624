#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layer check of user/ (the layout table of README.md): every `#include "FOLDER/..."`
of a file must name its own folder or one the table lets it include, and
the BPF skeleton, perf events and ptrace appear only in capture/.

  check-layers.py [ROOT]    ROOT: the repository (default: this one)

Prints each violation as FILE:LINE: what, and exits 1 when there is one."""
import os
import re
import sys

# folder -> the folders its files may include (besides their own)
ALLOWED = {
    "util": set(),
    "os": {"util"},
    "cpython": {"os", "util"},
    "model": {"util"},
    "analysis": {"model", "cpython", "util"},
    "record": {"model", "util"},
    "output": {"analysis", "record", "model", "util"},
    "capture": {"output", "record", "analysis", "model", "cpython", "os", "util"},
    "cmd": {"capture", "output", "record", "analysis", "model", "cpython", "os", "util"},
    "": {"cmd", "capture", "output", "record", "analysis", "model", "cpython", "os", "util"},
}
# single headers a folder may include outside its table: how a CPython
# version is written is vocabulary, not version knowledge
EXCEPTIONS = {
    "model": {"cpython/pyversion.h"},
    "output": {"cpython/pyversion.h"},
}
# what only the live side may touch
CAPTURE_ONLY = [
    (re.compile(r'#include\s+"[a-z_]+\.skel\.h"'), "the BPF skeleton"),
    (re.compile(r"\bperf_event_open\b|__NR_perf_event_open"), "perf events"),
    (re.compile(r"\bptrace\s*\("), "ptrace"),
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(rel):
    """the layer of user/REL: its first folder ('' for user/main.c)"""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def check(root):
    user = os.path.join(root, "user")
    problems = []
    names = {f for _, _, fs in os.walk(user) for f in fs if f.endswith(".h")}
    for d, _, files in os.walk(user):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, user)
            layer = folder_of(rel)
            if layer not in ALLOWED:
                problems.append("user/%s: folder %s is not in the layer table" % (rel, layer))
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().split("\n")
            for n, line in enumerate(lines, 1):
                if layer not in ("capture", ""):
                    for pat, what in CAPTURE_ONLY:
                        if pat.search(line):
                            problems.append("user/%s:%d: %s outside capture/" % (rel, n, what))
                m = INCLUDE.match(line)
                if m:
                    inc = m.group(1)
                    if "/" not in inc:
                        if inc in names:
                            problems.append("user/%s:%d: \"%s\" without its folder" % (rel, n, inc))
                        continue
                    target = inc.split("/")[0]
                    if target in ALLOWED and target != layer and \
                            target not in ALLOWED[layer] and \
                            inc not in EXCEPTIONS.get(layer, ()):
                        problems.append("user/%s:%d: %s/ includes %s (a layer above it)"
                                        % (rel, n, layer or "main", inc))
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for p in problems:
        print(p)
    print("layers: %d files' includes checked, %d violations" % (
        sum(len([f for f in fs if f.endswith((".c", ".h"))])
            for _, _, fs in os.walk(os.path.join(root, "user"))), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

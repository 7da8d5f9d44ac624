# SPDX-License-Identifier: MIT
"""Call stacks rebuilt from the nesting of a trace's calls in time, one
thread at a time: what the flame graph and profile tests compare the
tracer's aggregated formats with (built from its Chrome trace of the same
run, whose counts are checked against sys.setprofile elsewhere)."""
import collections


def nested(calls):
    """CALLS: (thread, start_ns, end_ns, key) of completed calls. Yields
    (start, end, path) per call, PATH being the keys of its enclosing calls
    and its own, outermost first. A call of no time at its parent's end may
    be taken for a sibling: it adds nothing to anyone."""
    by_thread = collections.defaultdict(list)
    for thread, start, end, key in calls:
        by_thread[thread].append((start, end, key))
    for evs in by_thread.values():
        evs.sort(key=lambda t: (t[0], -t[1]))
        stack = []	# enclosing calls: (end, path)
        for start, end, key in evs:
            while stack and stack[-1][0] <= start:
                stack.pop()
            path = (stack[-1][1] if stack else ()) + (key,)
            yield start, end, path
            stack.append((end, path))


def self_per_path(calls):
    """path -> self time in ns: each call's duration less its children's"""
    out = collections.Counter()
    for start, end, path in nested(calls):
        out[path] += end - start
        if len(path) > 1:
            out[path[:-1]] -= end - start
    return out

# SPDX-License-Identifier: MIT
"""A stack built and unwound over and over under --wall (test_sample_wall.py,
test_wall_stack_changing_under_the_read; not in helpers.WORKLOAD_LIST):
churn_main recurses DEPTH deep, naps a moment in churn_nap() at the bottom,
returns all the way and starts again, so that the tracer's walk of the
frames, made from another CPU, often meets the stack while it changes.
On 3.10 and older a returned frame is relinked to the interpreter's free
list (its f_back rewritten) or reused at another depth at once.

Ground truth: the depth of the full stack at churn_nap(), counted by
walking sys._getframe(), on stderr as `truth: {json}`."""
import json
import os
import sys
import time

from sampling import stack_depth

SECONDS = float(os.environ.get("E2E_CHURN_SECONDS", "2"))
DEPTH = 600
NAP = 0.002
truth = {}


def churn_nap():
    if "depth" not in truth:
        truth["depth"] = stack_depth()
    time.sleep(NAP)


def churn(n):
    if n == 0:
        return churn_nap()
    return churn(n - 1)


def churn_main():
    end = time.monotonic() + SECONDS
    rounds = 0
    while time.monotonic() < end:
        churn(DEPTH)
        rounds += 1
    truth["rounds"] = rounds


def main():
    sys.setrecursionlimit(DEPTH + 200)
    churn_main()
    sys.stderr.write("truth: %s\n" % json.dumps(truth))
    sys.stderr.flush()
    return truth["rounds"] > 0


if __name__ == "__main__":
    import _harness
    _harness.run(main)

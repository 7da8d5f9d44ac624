# SPDX-License-Identifier: MIT
"""Workload of test_ccalls.py's exec case (--c-calls following an exec):
a few C calls, then the process execs the same interpreter on ccalls.py,
whose C calls (in the new image, at a new load bias) are checked against
sys.setprofile's in a run of its own."""
import os
import sys


def main():
    return len("abc") + abs(-2)


if __name__ == "__main__":
    main()
    here = os.path.dirname(os.path.abspath(__file__))
    os.execv(sys.executable, [sys.executable, os.path.join(here, "ccalls.py")])

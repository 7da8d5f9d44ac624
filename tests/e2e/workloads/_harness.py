# SPDX-License-Identifier: MIT
"""Entry point shared by the workloads (not a workload file itself).

Every workload ends with

    if __name__ == "__main__":
        import _harness
        _harness.run(main)

and this module decides, from the environment, how main() runs:

  E2E_TRIGGER=PATH       attach mode: print "workload: ready PID" on stderr,
                         then wait until PATH exists before calling main()
  E2E_GROUND_TRUTH=PATH  run main() under sys.setprofile/threading.setprofile
                         (see ../ground_truth.py) and write the counts to PATH

main()'s result is printed on stdout as "result: ..." so that a traced run
can be compared with an untraced one. Nothing in this file is counted: the
tests restrict both sides to the workload's own files.
"""
import os
import sys
import time


def _wait_for(path):
    sys.stderr.write("workload: ready %d\n" % os.getpid())
    sys.stderr.flush()
    deadline = time.monotonic() + float(os.environ.get("E2E_TRIGGER_TIMEOUT", "60"))
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.stderr.write("workload: trigger %s never came\n" % path)
            sys.exit(3)
        time.sleep(0.005)


def run(main):
    sys.stderr.write("workload: pid %d\n" % os.getpid())
    sys.stderr.flush()
    trigger = os.environ.get("E2E_TRIGGER")
    if trigger:
        _wait_for(trigger)
    out = os.environ.get("E2E_GROUND_TRUTH")
    if out:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.dirname(here))
        import ground_truth
        result = ground_truth.profile_call(main, out)
    else:
        result = main()
    sys.stdout.write("result: %r\n" % (result,))
    sys.stdout.flush()

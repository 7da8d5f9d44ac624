# SPDX-License-Identifier: MIT
"""A process of the churn test (test_system_wide.py): calls f() N times and
ends; or, with a TRIGGER and a STOP file, waits for TRIGGER, then calls f()
until STOP exists and prints how many times it did ("calls: K")."""
import os
import sys
import time


def f():
    pass


def main():
    n = int(sys.argv[1])
    for _ in range(n):
        f()
    if len(sys.argv) < 4:
        return
    trigger, stop = sys.argv[2], sys.argv[3]
    sys.stderr.write("churn: ready\n")
    sys.stderr.flush()
    while not os.path.exists(trigger):
        time.sleep(0.005)
    k = 0
    while not os.path.exists(stop):
        for _ in range(5):
            f()
        k += 5
        time.sleep(0.01)
    print("calls: %d" % k)


main()

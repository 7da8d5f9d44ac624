# SPDX-License-Identifier: MIT
"""A loop whose CPU time goes to hot_spin (a pure-Python arithmetic loop),
with a short sleep in cold_wait between calls; for `tracer top`
(tests/e2e/test_top.py). Prints "ready" on stderr; runs 120 s at most."""
import sys
import time


def hot_spin(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def cold_wait():
    time.sleep(0.001)


sys.stderr.write("ready\n")
sys.stderr.flush()
end = time.time() + 120
while time.time() < end:
    hot_spin(20000)
    cold_wait()

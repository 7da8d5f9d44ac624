# SPDX-License-Identifier: MIT
"""Threads with Python names (threading.Thread.name), for
test_thread_names.py: the main thread, two workers, one with a name longer
than an OS thread name (15 bytes) and characters every format must escape,
and one renamed while it runs. Each thread reports its native id and the
name `threading` gives it at its end on stderr: `truth: {"TID": NAME}`."""
import json
import sys
import threading
import time

HOSTILE = 'w\u00f6rker "q" \\ </script> \t <b>&amp; x' + "\U0001f600"
seen = {}
lock = threading.Lock()


def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def report():
    with lock:
        seen[str(threading.get_native_id())] = threading.current_thread().name


def worker(rename):
    spin(20000)
    time.sleep(0.15)
    if rename:
        threading.current_thread().name = rename
        time.sleep(0.15)
    spin(20000)
    report()


def main():
    ts = [threading.Thread(target=worker, args=(None,), name="worker-1"),
          threading.Thread(target=worker, args=(None,), name=HOSTILE),
          threading.Thread(target=worker, args=("renamed-3",), name="worker-3")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    report()
    sys.stderr.write("truth: %s\n" % json.dumps(seen))
    sys.stderr.flush()
    return len(seen)


if __name__ == "__main__":
    import _harness
    _harness.run(main)

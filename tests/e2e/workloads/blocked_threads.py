# SPDX-License-Identifier: MIT
"""Threads that make no call while a tracer is attached, and some that do.

  sleeper   sleep_inner -> time.sleep(600)          blocked all along
  waiter    wait_inner -> Event.wait (no timeout)   blocked all along
  locker    lock_inner -> Lock.acquire of a held lock
  returner  returner_inner -> Event.wait, released by the trigger: its
            frames began before the attach and return during the session
  busy      busy_loop -> busy_leaf, calling all along

Once every thread is at its place, what the interpreter itself says of
each thread's stack (sys._current_frames: code names, files, first lines,
outermost first) is written as JSON to argv[1], then "ready" on stderr.
The main thread then polls for the file argv[2] (the trigger, made once
the tracer is attached), releases the returner, and sleeps until killed.
Ground truth for tests/e2e/test_blocked_threads.py."""
import json
import os
import sys
import threading
import time

forever = threading.Event()
go = threading.Event()
held = threading.Lock()
held.acquire()
placed = threading.Barrier(6)
returned = []


def sleep_inner():
    placed.wait()
    time.sleep(600)


def sleeper():
    sleep_inner()


def wait_inner():
    placed.wait()
    forever.wait()


def waiter():
    wait_inner()


def lock_inner():
    placed.wait()
    held.acquire()


def locker():
    lock_inner()


def returner_inner():
    placed.wait()
    go.wait()
    return 1


def returner():
    returned.append(returner_inner())


def busy_leaf(i):
    return i + 1


def busy_loop():
    placed.wait()
    i = 0
    while True:
        i = busy_leaf(i)


def frames_of(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        out.append({"name": getattr(code, "co_qualname", code.co_name),
                    "file": code.co_filename, "line": code.co_firstlineno})
        frame = frame.f_back
    return out[::-1]


def main(truth_path, trigger):
    threads = [threading.Thread(target=f, name=f.__name__, daemon=True)
               for f in (sleeper, waiter, locker, returner, busy_loop)]
    for t in threads:
        t.start()
    placed.wait()
    time.sleep(0.3)		# each is in its blocking call (busy: in its loop)
    frames = sys._current_frames()
    out = [{"name": t.name, "native_id": t.native_id, "frames": frames_of(frames[t.ident])}
           for t in threads]
    out.append({"name": "main", "native_id": threading.main_thread().native_id,
                "frames": frames_of(sys._getframe())})
    with open(truth_path, "w") as f:
        json.dump({"pid": os.getpid(), "threads": out}, f)
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    while not os.path.exists(trigger):
        time.sleep(0.005)
    go.set()
    threads[3].join()
    sys.stderr.write("returned %r\n" % returned)
    sys.stderr.flush()
    time.sleep(600)


main(sys.argv[1], sys.argv[2])

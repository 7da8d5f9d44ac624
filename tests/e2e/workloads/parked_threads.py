# SPDX-License-Identifier: MIT
"""Three named threads and the main thread parked in Event.wait, in known
functions; a reporter thread writes what the interpreter itself says of
each parked thread's stack (sys._current_frames + traceback.extract_stack)
to the file argv[1] as JSON, then prints "ready" on stderr and ends.
Thread names: one renamed after its start, one non-ASCII, one with a
terminal escape and whose instance __dict__ was materialized.
Ground truth for `tracer dump` (tests/e2e/test_dump.py)."""
import json
import sys
import threading
import time
import traceback

park = threading.Event()


def wait_in_alpha():
    park.wait()


def beta_outer():
    beta_inner()


def beta_inner():
    park.wait()


class Gamma(object):
    def method(self):
        park.wait()


def main_parked():
    park.wait()


def frames_of(frame):
    out = []
    for fs, f in zip(traceback.extract_stack(frame), walk(frame)):
        code = f.f_code
        out.append({"file": fs.filename, "line": fs.lineno, "name": code.co_name,
                    "qualname": getattr(code, "co_qualname", code.co_name)})
    return out


def walk(frame):
    fs = []
    while frame is not None:
        fs.append(frame)
        frame = frame.f_back
    return fs[::-1]


def report(path):
    time.sleep(0.5)
    me = threading.get_ident()
    by_ident = {t.ident: t for t in threading.enumerate()}
    threads = []
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        t = by_ident[ident]
        threads.append({"ident": ident, "native_id": t.native_id, "name": t.name,
                        "frames": frames_of(frame)})
    with open(path, "w") as f:
        json.dump({"threads": threads}, f)
    sys.stderr.write("ready\n")
    sys.stderr.flush()


workers = [threading.Thread(target=wait_in_alpha, name="alpha-waiter"),
           threading.Thread(target=beta_outer, name="beta \u00e9 worker"),
           threading.Thread(target=Gamma().method, name="gamma\x1b[31m-method")]
for w in workers:
    w.daemon = True
    w.start()
# renamed while it runs; and an instance whose __dict__ was asked for (a
# dict object made from 3.11's inline values)
workers[0].name = "alpha renamed"
vars(workers[2])
threading.Thread(target=report, args=(sys.argv[1],), name="reporter").start()
main_parked()

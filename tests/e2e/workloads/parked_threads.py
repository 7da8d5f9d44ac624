# SPDX-License-Identifier: MIT
"""Three named threads and the main thread parked in Event.wait, in known
functions; a reporter thread writes what the interpreter itself says of
each parked thread's stack (sys._current_frames + traceback.extract_stack)
to the file argv[1] as JSON, then prints "ready" on stderr and ends.
Thread names: one renamed after its start, one non-ASCII, one with a
terminal escape and whose instance __dict__ was materialized. Each frame's
local variables too (frame.f_locals), as `tracer dump --locals` must show
them (shown() is that rule: Python's repr of None, bool, float, int up to
120 bits and str up to 64 characters, else the type and address).
Ground truth for `tracer dump` (tests/e2e/test_dump.py)."""
import json
import sys
import threading
import time
import traceback

park = threading.Event()


def wait_in_alpha():
    n = 42
    big = -(2 ** 70) + 5
    ratio = 2.5
    flag = True
    nothing = None
    text = "caf\u00e9 'q'\n\x1b[31m"
    items = [1, 2]
    park.wait()
    return n, big, ratio, flag, nothing, text, items


def beta_outer():
    captured = "in a cell"

    def inner():
        return captured
    beta_inner()
    return inner


def beta_inner():
    long_text = "x" * 100 + "y"
    neg = -7
    tiny = 1e-7
    huge = 10 ** 40
    park.wait()
    return long_text, neg, tiny, huge


class Gamma(object):
    def method(self):
        mapping = {"a": 1}
        park.wait()
        return mapping


def main_parked():
    zero = 0
    off = False
    park.wait()
    return zero, off


def shown(v):
    """what `tracer dump --locals` shows of V (user/capture/py_locals.c)"""
    if v is None or type(v) in (bool, float):
        return repr(v)
    if type(v) is int:
        bits = abs(v).bit_length()
        if bits <= 120:
            return repr(v)
        return "<int of %d digits of 30 bits at 0x%x>" % ((bits + 29) // 30, id(v))
    if type(v) is str:
        return repr(v) if len(v) <= 64 else repr(v[:64]) + "..."
    return "<%s at 0x%x>" % (tp_name(type(v)), id(v))


def tp_name(t):
    """the type's tp_name, as the interpreter keeps it ("_thread.lock" for
    the type named lock): the C string at offset 24 of the type object"""
    import ctypes
    return ctypes.c_char_p.from_address(id(t) + 24).value.decode()


def frames_of(frame):
    out = []
    for fs, f in zip(traceback.extract_stack(frame), walk(frame)):
        code = f.f_code
        out.append({"file": fs.filename, "line": fs.lineno, "name": code.co_name,
                    "qualname": getattr(code, "co_qualname", code.co_name),
                    # a module's or class body's f_locals is its namespace,
                    # not variables of the frame (it has none)
                    "locals": {k: shown(v) for k, v in f.f_locals.items()}
                    if code.co_flags & 0x1 else {}})
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

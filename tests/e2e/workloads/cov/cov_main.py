# SPDX-License-Identifier: MIT
"""Coverage workload of test_coverage.py (with cov_helper.py): branches
taken and not, loops with break/continue/else, try/except/finally, a
decorator, nested functions, comprehensions, a generator expression,
multi-line statements, a lambda, a thread, an `if False:` block and
functions never called. Deterministic and fast.

usage: cov_main.py [a|b|view]
  a     (default) one set of branches
  b     other branches (test_coverage merges the recordings of a and b)
  view  as a, then print what the program sees of its environment
"""
import functools
import json
import os
import sys
import threading

import cov_helper

MODE = sys.argv[1] if len(sys.argv) > 1 else "a"


def logged(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)
    return wrapper


@logged
def classify(x):
    """Docstring: not a line of its own."""
    if x > 2:
        kind = "big"
    elif x < 0:
        kind = "negative"
    else:
        kind = "small"
    return kind


def loops(n):
    total = 0
    for i in range(n):
        if i == 3:
            continue
        if i == 7:
            break
        total += i
    else:
        total = -total
    while n > 0:
        n -= 2
    return total


def guarded(v):
    try:
        r = 10 // v
    except ZeroDivisionError:
        r = None
    finally:
        r = (r,
             v)
    return r


def outer(k):
    def inner(j):
        return j * k

    def unused_inner(j):
        return j - k
    return inner(2) + inner(3)


def never_called(a):
    b = a + 1
    return b


def build(a,
          b):
    x = (a +
         b +
         1)
    table = {
        "x": x,
        "pair": [a,
                 b],
    }
    return table


def comprehensions(n):
    squares = [i * i for i in range(n)
               if i % 2]
    index = {str(i): i for i in range(n)}
    evens = {i for i in range(n) if not i % 2}
    total = sum(i for i in range(n))
    return squares, index, evens, total


def in_thread(out):
    out.append(list(cov_helper.countdown(3)))


double = lambda x: x * 2


def view():
    """what the program sees of its environment (test_coverage.py)"""
    import sysconfig
    mods = {}
    for name, m in sorted(sys.modules.items()):
        mods[name] = getattr(m, "__file__", None)
    return {
        "argv": sys.argv, "path": sys.path, "flags": str(sys.flags),
        "warnoptions": sys.warnoptions, "xoptions": sys._xoptions,
        "env": sorted(os.environ), "pythonpath": os.environ.get("PYTHONPATH"),
        "modules": mods, "stdlib": sysconfig.get_paths()["stdlib"],
        "importer_cache": sorted(str(k) for k in sys.path_importer_cache),
        "meta_path": [type(f).__name__ for f in sys.meta_path],
        "path_hooks": [getattr(h, "__name__", type(h).__name__) for h in sys.path_hooks],
        "marker": getattr(sys, "_e2e_user_sitecustomize", None),
    }


def main():
    results = []
    for v in ((-1, 1, 5) if MODE != "b" else (0, 1)):
        results.append(classify(v))
    results.append(loops(10 if MODE != "b" else 5))
    results.append(guarded(2 if MODE != "b" else 0))
    results.append(outer(4))
    results.append(build(1,
                         2))
    results.append(comprehensions(6))
    results.append(double(21))
    results.append(cov_helper.use_all())
    out = []
    t = threading.Thread(target=in_thread, args=(out,))
    t.start()
    t.join()
    results.append(out)
    results.append(json.dumps({"n": len(results)}, sort_keys=True))
    return results


if False:
    never_called(1)

if __name__ == "__main__":
    print("result: %r" % (main(),))
    if MODE == "view":
        print("view: " + json.dumps(view(), sort_keys=True))

# SPDX-License-Identifier: MIT
"""The call forms where CPython 3.11's profiler (ceval.c's
trace_call_function and do_call_core) and 3.12+'s (sys.monitoring's
legacy tracing) decide differently whether a call is a c_call, and the
3.11 instruction forms that need care from outside (--c-calls, issue 21):

- a bound method (types.MethodType) of a method descriptor: 3.11's PRECALL
  takes it apart and CALL's profiler sees the descriptor and its self
  (c_call); 3.12+ reports nothing; of a builtin function: c_call in both;
- a method descriptor called through f(*args): 3.11 wants a first
  positional argument (none: no c_call, the call raises), 3.12 reports it
  anyway; with a list as *args (turned into a tuple first);
- a call of 300 arguments (the compiler makes it CALL_FUNCTION_EX with a
  constant tuple: past ~30 arguments it never emits PRECALL/CALL);
- len() of a mapping and of an object with no length (Debian's LTO build
  inlines PyObject_Size: its mapping path calls PyMapping_Size);
- specialized forms in loops: method descriptors (NOARGS, O, FAST),
  builtins with keywords, list.append called unbound, raising builtins;
- calls that are no c_call: Python functions, bound Python methods,
  objects with __call__, functools.partial (a C call made from C), types.

Run with E2E_CCALL_TRUTH=PATH, main() runs under the profiler of
../ccall_truth.py (the ground truth); else under _harness like any workload.
"""
import functools
import math
import os
import sys
import types

LOOP = 40


class Callable(object):
    def __call__(self, x):
        return x


class Obj(object):
    def meth(self, x):
        return x + 1


def py_add(a, b):
    return a + b


# a call of 300 arguments, compiled with this file's name so that its
# frame is this file's
_SRC = "def many():\n    return max(%s)\n" % ", ".join(str(i) for i in range(300))
exec(compile(_SRC, __file__, "exec"))


def forms():
    out = []
    upper_of_x = types.MethodType(str.upper, "x")
    len_of_list = types.MethodType(len, [1, 2, 3])
    for _ in range(3):
        out.append(upper_of_x())
        out.append(len_of_list())
    for args in ([], ("ab",), ["cd"]):
        try:
            out.append(str.upper(*args))
        except TypeError:
            out.append(None)
    out.append(many())
    d = {"a": 1, "b": 2}
    out.append(len(d))
    try:
        len(5)
    except TypeError:
        out.append("no len")
    return out


def loops():
    acc = []
    obj = Obj()
    c = Callable()
    p = functools.partial(len, "abc")
    n = 0
    for i in range(LOOP):
        s = str(i)
        n += len(s.upper())             # NOARGS
        n += s.startswith("1")          # method descriptor, O / FAST
        n += len(",".join([s, s]))      # FAST
        n += round(1.25, ndigits=1) > 1 # builtin with keywords
        list.append(acc, i)             # unbound list.append
        n += len({"k": i})              # a mapping's length
        n += py_add(i, 1)               # Python function
        n += obj.meth(i)                # bound Python method
        n += c(i)                       # __call__
        n += p()                        # partial: len called from C
        try:
            math.sqrt(-i - 1)
        except ValueError:
            n += 1
    return n, len(acc)


def main():
    return forms(), loops()


if __name__ == "__main__":
    out = os.environ.get("E2E_CCALL_TRUTH")
    if out:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.dirname(here))
        import ccall_truth
        ccall_truth.profile_call(main, out)
    else:
        import _harness
        _harness.run(main)

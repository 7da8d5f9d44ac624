# SPDX-License-Identifier: MIT
"""JIT code for tests/e2e/test_jit.py, in one of three modes (argv[1]):

  calls   plain Python calls (run it with -X perf: the perf trampoline
          registers a trampoline per code object through
          PyUnstable_WritePerfMapEntry)
  spin    a real tiny "JIT": an executable page with an x86-64 loop
          (mov rcx, rdi; 1: dec rcx; jnz 1b; ret), registered with
          PyUnstable_WritePerfMapEntry under JIT_NAME, then called through
          ctypes from spin_caller() for SPIN_SECONDS
  early   the same, registered before main() (before an attach's trigger)

With JIT_DUMP_DIR set, it also maps a file DIR/jit-PID.dump (a jitdump's
name). It prints on stderr "truth: jit_addr=0x... jit_size=N" for the page it
registered and "truth: spin_seconds=S" for the time spent calling it."""
import ctypes
import mmap
import os
import sys
import time

JIT_NAME = "tracer_test_jit_spin"
SPIN_SECONDS = 1.5
CODE = bytes([0x48, 0x89, 0xF9,		# mov rcx, rdi
              0x48, 0xFF, 0xC9,		# 1: dec rcx
              0x75, 0xFB,		# jnz 1b
              0xC3])			# ret

_page = None


def register():
    """map the code, register it: -> a callable f(n) running n iterations"""
    global _page
    _page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    _page.write(CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(_page))
    write = ctypes.pythonapi.PyUnstable_WritePerfMapEntry
    write.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_char_p]
    write.restype = ctypes.c_int
    if write(addr, len(CODE), JIT_NAME.encode()) != 0:
        raise SystemExit("PyUnstable_WritePerfMapEntry failed")
    sys.stderr.write("truth: jit_addr=0x%x jit_size=%d\n" % (addr, len(CODE)))
    sys.stderr.flush()
    return ctypes.CFUNCTYPE(None, ctypes.c_uint64)(addr)


def spin_caller(fn):
    start = time.monotonic()
    calls = 0
    while time.monotonic() - start < SPIN_SECONDS:
        fn(20000000)
        calls += 1
    sys.stderr.write("truth: spin_seconds=%.3f\n" % (time.monotonic() - start))
    return calls


def work(n):
    return sum(i * i for i in range(n))


class Thing(object):
    def __init__(self, v):
        self.v = v

    def value(self):
        return work(self.v)


def calls():
    total = 0
    for i in range(50):
        total += Thing(i).value()
    total += sum(map(lambda x: x + 1, range(10)))
    return total


_early = None
_dump = None


def map_jitdump(directory):
    """map a file named like a jitdump, as a jitdump writer does (so that
    perf finds it): the tracer must say it does not read it"""
    global _dump
    path = os.path.join(directory, "jit-%d.dump" % os.getpid())
    with open(path, "wb") as f:
        f.write(b"\0" * mmap.PAGESIZE)
    fd = os.open(path, os.O_RDONLY)
    _dump = mmap.mmap(fd, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_EXEC,
                      flags=mmap.MAP_PRIVATE)
    os.close(fd)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "calls"
    if mode == "calls":
        return calls()
    fn = _early or register()
    return spin_caller(fn) > 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "early":
        _early = register()
    if os.environ.get("JIT_DUMP_DIR"):
        map_jitdump(os.environ["JIT_DUMP_DIR"])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _harness
    _harness.run(main)

# SPDX-License-Identifier: MIT
"""JIT code for tests/e2e/test_jit.py, in one of these modes (argv[1]):

  calls          plain Python calls (run it with -X perf: the perf trampoline
                 registers a trampoline per code object through
                 PyUnstable_WritePerfMapEntry; with -X perf_jit (3.13+) it
                 writes them to /tmp/jit-PID.dump instead). With
                 JIT_CALLS_SECONDS=S the calls are repeated for S seconds
                 (the same code objects: no new trampolines)
  spin           a real tiny "JIT": an executable page with an x86-64 loop
                 (mov rcx, rdi; 1: dec rcx; jnz 1b; ret), registered with
                 PyUnstable_WritePerfMapEntry under JIT_NAME, then called
                 through ctypes from spin_caller() for SPIN_SECONDS
  early          the same, registered before main() (before an attach's
                 trigger)
  spin-jitdump   the same page described in a jitdump the workload writes
                 itself, as a JIT does: DIR/jit-PID.dump (DIR: $JIT_DUMP_DIR,
                 default /tmp) gets perf's header and is mapped (PROT_READ |
                 PROT_EXEC, so that a profiler finds it), then a
                 JIT_CODE_LOAD record of the page is appended — once the file
                 $JIT_DUMP_TRIGGER exists when that is set (the test creates
                 it when the tracer said it found the dump)
  early-jitdump  the same, all written before main()

With JIT_DUMP_CHOWN=UID the dump is given to UID once created; with
JIT_DUMP_SYMLINK=1 it is created in DIR/planted/ and opened through a
symlink DIR/jit-PID.dump to it. It prints on stderr "truth: jit_addr=0x...
jit_size=N" for the page it registered, "truth: jit_ts=NS" for the time
(CLOCK_MONOTONIC) of the jitdump record, and "truth: spin_seconds=S" for the
time spent calling it."""
import ctypes
import mmap
import os
import struct
import sys
import threading
import time

JIT_NAME = "tracer_test_jit_spin"
SPIN_SECONDS = 1.5
CODE = bytes([0x48, 0x89, 0xF9,		# mov rcx, rdi
              0x48, 0xFF, 0xC9,		# 1: dec rcx
              0x75, 0xFB,		# jnz 1b
              0xC3])			# ret

_page = None
_dump = None


def make_page():
    """map the code: -> its address"""
    global _page
    _page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    _page.write(CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(_page))
    sys.stderr.write("truth: jit_addr=0x%x jit_size=%d\n" % (addr, len(CODE)))
    sys.stderr.flush()
    return addr


def register():
    """map the code, register it: -> a callable f(n) running n iterations"""
    addr = make_page()
    write = ctypes.pythonapi.PyUnstable_WritePerfMapEntry
    write.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_char_p]
    write.restype = ctypes.c_int
    if write(addr, len(CODE), JIT_NAME.encode()) != 0:
        raise SystemExit("PyUnstable_WritePerfMapEntry failed")
    return ctypes.CFUNCTYPE(None, ctypes.c_uint64)(addr)


def open_jitdump():
    """create the jitdump, write its header, map it as perf expects: -> fd"""
    global _dump
    directory = os.environ.get("JIT_DUMP_DIR", "/tmp")
    path = os.path.join(directory, "jit-%d.dump" % os.getpid())
    opened = path
    if os.environ.get("JIT_DUMP_SYMLINK"):
        planted = os.path.join(directory, "planted")
        os.makedirs(planted, exist_ok=True)
        opened = os.path.join(planted, "jit-%d.dump" % os.getpid())
        os.symlink(opened, path)
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_RDWR, 0o644)
    if os.environ.get("JIT_DUMP_CHOWN"):
        uid = int(os.environ["JIT_DUMP_CHOWN"])
        os.chown(opened, uid, uid)
    # magic, version, header size, elf_mach (EM_X86_64), reserved, pid,
    # timestamp (wall-clock us, as CPython writes it), flags
    os.write(fd, struct.pack("<IIIIIIQQ", 0x4A695444, 1, 40, 62, 0, os.getpid(),
                             time.time_ns() // 1000, 0))
    # through libc: Python's mmap refuses a length past the end of the file
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    _dump = libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC, mmap.MAP_PRIVATE,
                      fd, 0)
    if _dump in (None, ctypes.c_void_p(-1).value):
        raise SystemExit("mmap of the jitdump failed: errno %d" % ctypes.get_errno())
    return fd


def register_jitdump():
    """map the code, describe it in a jitdump: -> a callable f(n)"""
    fd = open_jitdump()
    addr = make_page()
    trigger = os.environ.get("JIT_DUMP_TRIGGER")
    deadline = time.monotonic() + 60
    while trigger and not os.path.exists(trigger):
        if time.monotonic() > deadline:
            raise SystemExit("jitdump trigger %s never came" % trigger)
        time.sleep(0.005)
    name = JIT_NAME.encode() + b"\0"
    ts = time.monotonic_ns()
    # id JIT_CODE_LOAD, total_size, timestamp; pid, tid, vma, code_addr,
    # code_size, code_index; the name; the code
    rec = struct.pack("<IIQIIQQQQ", 0, 56 + len(name) + len(CODE), ts, os.getpid(),
                      threading.get_native_id(), addr, addr, len(CODE), 1) + name + CODE
    os.write(fd, rec)
    os.close(fd)
    sys.stderr.write("truth: jit_ts=%d\n" % ts)
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


def repeated_calls(seconds):
    start = time.monotonic()
    total = calls()
    while time.monotonic() - start < seconds:
        total = calls()
    return total


_early = None


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "calls"
    if mode == "calls":
        return repeated_calls(float(os.environ.get("JIT_CALLS_SECONDS", "0")))
    if mode == "spin-jitdump":
        fn = register_jitdump()
    else:
        fn = _early or register()
    return spin_caller(fn) > 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "early":
        _early = register()
    elif len(sys.argv) > 1 and sys.argv[1] == "early-jitdump":
        _early = register_jitdump()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _harness
    _harness.run(main)

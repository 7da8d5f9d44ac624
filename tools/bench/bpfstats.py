# SPDX-License-Identifier: MIT
"""Run time of BPF programs (kernel BPF statistics) while a command runs.

Statistics are switched on with the BPF_ENABLE_STATS command of bpf(2),
which keeps them on only while the returned descriptor is open: they go
off by themselves when this process exits, however it exits.  Programs are
read with `bpftool prog show -j` (run_cnt, run_time_ns); those loaded
after the command started are the command's.
"""
import ctypes
import json
import os
import subprocess
import time

BPFTOOL = "/usr/sbin/bpftool"
_SYS_BPF = {"x86_64": 321, "aarch64": 280}
_BPF_ENABLE_STATS = 32
_BPF_STATS_RUN_TIME = 0


class Stats:
    """Context manager holding BPF run-time statistics on."""

    def __init__(self):
        self.fd = -1
        self.error = ""

    def __enter__(self):
        nr = _SYS_BPF.get(os.uname().machine)
        if nr is None:
            self.error = "bpf(2) number unknown for %s" % os.uname().machine
            return self
        libc = ctypes.CDLL(None, use_errno=True)
        attr = (ctypes.c_uint32 * 32)()   # union bpf_attr, zeroed
        attr[0] = _BPF_STATS_RUN_TIME      # enable_stats.type
        fd = libc.syscall(nr, _BPF_ENABLE_STATS, attr, 4)
        if fd < 0:
            self.error = "BPF_ENABLE_STATS: %s" % os.strerror(ctypes.get_errno())
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        return False


def _progs():
    """{id: (name, run_cnt, run_time_ns)} of the loaded programs."""
    try:
        out = subprocess.run([BPFTOOL, "prog", "show", "-j"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10).stdout
        lst = json.loads(out.decode() or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    return {p["id"]: (p.get("name", "?"), int(p.get("run_cnt", 0)),
                      int(p.get("run_time_ns", 0)))
            for p in lst if isinstance(p, dict) and "id" in p}


def _owned(pid):
    """ids of the BPF programs process PID holds a descriptor of (its
    fdinfo's prog_id), so that programs other processes load meanwhile are
    not counted; an empty set when none is seen"""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    try:
        fds = os.listdir(d)
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(os.path.join(d, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return ids


def sample(argv, env, period=0.05, timeout=300):
    """Run ARGV, polling the programs it loads.  Returns (exit status,
    {name: (run_cnt, run_time_ns)}) from the last poll that saw them
    (programs are unloaded at exit, so the very last events are missed).
    The programs are those ARGV's process holds, else (when its
    descriptors show none) all loaded after it started."""
    before = set(_progs())
    last = {}
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    owned = set()
    while p.poll() is None and time.monotonic() < deadline:
        owned |= _owned(p.pid)
        for pid, (name, cnt, ns) in _progs().items():
            if pid not in before and cnt >= last.get(pid, ("", 0, 0))[1]:
                last[pid] = (name, cnt, ns)
        time.sleep(period)
    if owned:
        last = {k: v for k, v in last.items() if k in owned}
    if p.poll() is None:
        p.kill()
    rc = p.wait()
    by_name = {}
    for name, cnt, ns in last.values():
        c, n = by_name.get(name, (0, 0))
        by_name[name] = (c + cnt, n + ns)
    return rc, by_name

# SPDX-License-Identifier: MIT
"""Looking at a traced process from outside: what the file says (binutils'
readelf/nm) against what the process's memory holds (/proc/PID/mem).

An active uprobe replaces the first byte of the probed instruction with
int3 (0xCC) in the process's copy of the page; a USDT semaphore is a 16-bit
counter in the process's data that the kernel raises while a probe with
that semaphore is attached."""
import os
import re
import subprocess

INT3 = 0xCC


def _sh(args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=True, universal_newlines=True).stdout


def load_segments(path):
    """[(file offset, vaddr, filesz)] of the PT_LOAD segments"""
    segs = []
    for line in _sh(["readelf", "-lW", path]).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    if not segs:
        raise ValueError("%s: no PT_LOAD segment" % path)
    return segs


def vaddr_to_offset(path, vaddr):
    for off, va, size in load_segments(path):
        if va <= vaddr < va + size:
            return off + vaddr - va
    raise ValueError("%s: address 0x%x in no segment" % (path, vaddr))


def section_addr(path, name):
    for line in _sh(["readelf", "-SW", path]).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s", line)
        if m and m.group(1) == name:
            return int(m.group(2), 16)
    return None


def usdt_probes(path, provider="python"):
    """[(name, location vaddr, semaphore vaddr or 0)] from .note.stapsdt,
    locations adjusted for a moved .stapsdt.base (prelink)"""
    probes, cur = [], {}
    for line in _sh(["readelf", "-n", path]).splitlines():
        line = line.strip()
        if line.startswith("Provider:"):
            cur = {"provider": line.split(":", 1)[1].strip()}
        elif line.startswith("Name:"):
            cur["name"] = line.split(":", 1)[1].strip()
        elif line.startswith("Location:"):
            for part in line.split(","):
                k, v = part.split(":", 1)
                cur[k.strip().lower()] = int(v.strip(), 16)
            if cur.get("provider") == provider:
                probes.append(cur)
            cur = {}
    base = section_addr(path, ".stapsdt.base")
    out = []
    for p in probes:
        loc = p["location"]
        if base is not None and p.get("base"):
            loc += base - p["base"]
        out.append((p["name"], loc, p.get("semaphore", 0)))
    return out


def symbol_vaddr(path, name):
    """value of symbol NAME (defined, .symtab first, then .dynsym)"""
    for args in (["nm", path], ["nm", "-D", path]):
        try:
            text = _sh(args)
        except subprocess.CalledProcessError:
            continue
        for line in text.splitlines():
            f = line.split()
            if len(f) == 3 and f[2] == name and f[1] in "tTwW":
                return int(f[0], 16)
    raise KeyError("%s: no symbol %s" % (path, name))


def maps(pid):
    """[(start, end, perms, offset, path)] of /proc/PID/maps"""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            f5 = line.split(None, 5)
            start, end = (int(x, 16) for x in f5[0].split("-"))
            path = f5[5].strip() if len(f5) > 5 else ""
            out.append((start, end, f5[1], int(f5[2], 16), path))
    return out


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def file_mappings(pid, path):
    return [m for m in maps(pid) if m[4].startswith("/") and _same_file(m[4], path)]


def runtime_addr(pid, path, vaddr):
    """where the byte of PATH at VADDR sits in process PID"""
    off = vaddr_to_offset(path, vaddr)
    for start, end, perms, moff, _ in file_mappings(pid, path):
        if moff <= off < moff + (end - start):
            return start + off - moff
    raise ValueError("pid %d: %s offset 0x%x not mapped" % (pid, path, off))


def read_mem(pid, addr, n):
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as f:
        f.seek(addr)
        return f.read(n)


def read_file(path, off, n):
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(n)


def text_differences(pid, path, limit=64):
    """[(address, file byte, memory byte)] over the executable mappings of
    PATH in PID: a clean process has none"""
    diffs = []
    size = os.path.getsize(path)
    for start, end, perms, moff, _ in file_mappings(pid, path):
        if "x" not in perms or moff >= size:
            continue
        n = min(end - start, size - moff)
        mem = read_mem(pid, start, n)
        disk = read_file(path, moff, n)
        if mem == disk:
            continue
        for i in range(min(len(mem), len(disk))):
            if mem[i] != disk[i]:
                diffs.append((start + i, disk[i], mem[i]))
                if len(diffs) >= limit:
                    return diffs
    return diffs


def semaphores(pid, path):
    """{probe name: semaphore value} for the USDT probes of PATH in PID"""
    vals = {}
    for name, loc, sem in usdt_probes(path):
        if sem:
            b = read_mem(pid, runtime_addr(pid, path, sem), 2)
            vals[name] = int.from_bytes(b, "little")
    return vals


def first_byte(pid, path, vaddr):
    """(byte in the file, byte in the process) at VADDR of PATH"""
    disk = read_file(path, vaddr_to_offset(path, vaddr), 1)[0]
    mem = read_mem(pid, runtime_addr(pid, path, vaddr), 1)[0]
    return disk, mem

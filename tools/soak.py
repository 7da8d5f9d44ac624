#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Soak of a system-wide session (issue 17): `tracer -a` for an hour under
process churn; the tracer's memory, fds and probes flat, nothing lost,
every churn process's calls counted exactly.

  tools/soak.py [--seconds N] [--rate R] [--interval S] [--prefix P] [--debian] [--write]

The churn: Python processes started continuously, at about RATE a second
(at most --max-live at once): most are tests/e2e/workloads/churn.py N (f()
called N times, then exit), some fork (tools/soak/forkexec.py: the parent
and the child each call f() a known number of times), some exec another
interpreter (f() A times, then churn.py B in the new image, same PID).
One long process per interpreter runs the whole session (churn.py in its
loop mode: f() until told to stop, then prints how many calls), and a
long one is started now and then that runs for minutes. The ground truth
is the interpreter's own: the arguments each process was given and what
the long ones print; the tracer's count of f() per (PID, file) is read
from its recording converted to Chrome JSON, streamed.

Isolation (the machine is shared): the churn runs private copies of the
interpreter libraries (libpython3.X.so.1.0 of pyenv, copied into a
directory of the soak's own, found through LD_LIBRARY_PATH, which wins
over the pyenv binaries' RUNPATH; checked in /proc/PID/maps), under
process names of its own (soak-py3X by default, given as --comm): a
probe of the session is in no file any other process maps. --debian adds
a private copy of Debian's python3.11 (USDT); its semaphores are then
raised only in processes of the copy, but run it on a dedicated machine.

Every --interval seconds the tracer's VmRSS, its open fds and, among them,
its probes (perf_event fds: each uprobe is one) and BPF links, maps and
programs are sampled. At the end: the first and last quarter of each
series are compared (bounds in BOUNDS, why there), the tracer's own loss
counters must be 0 and every process accounted for. Needs root.
"""
import argparse
import datetime
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TRACER = os.path.join(ROOT, "build", "tracer")
CHURN = os.path.join(ROOT, "tests", "e2e", "workloads", "churn.py")
FORKEXEC = os.path.join(HERE, "soak", "forkexec.py")
BENCHMARKS_MD = os.path.join(ROOT, "BENCHMARKS.md")
BEGIN = "<!-- soak:begin (written by tools/soak.py --write) -->"
END = "<!-- soak:end -->"
PYENV = "/root/.pyenv/versions"

# Bounds on growth, last quarter of the session against the first (medians
# of the samples in each, so one sample taken while a burst of processes is
# being set up does not decide).
#  - RSS: 8 MiB. What may legitimately still grow after the first quarter:
#    allocator slack, pages of the 16 MiB ring buffer and of the tables of
#    functions (bounded by the code the churn runs: the same few files)
#    touched late. A leak of per-process state is what the soak is for:
#    with ~2 new PIDs a second, the last quarter's median is ~5000 PIDs
#    (45 min) after the first's, so 8 MiB catches anything above ~1.6 KiB
#    per process. The RSS per new PID (least squares) is printed too.
#  - fds: +8. The tracer holds one fd per interpreter file and its BPF
#    objects, none per process (100 throughout in the validation runs,
#    whatever the live processes); a leaked fd per process would be
#    thousands.
#  - probes (perf_event fds) and BPF links, maps, programs: no growth at
#    all: probes are per interpreter file, and no new file appears after
#    the start.
BOUNDS = {"rss_kib": 8 * 1024, "fds": 8, "perf_event": 0, "bpf-link": 0, "bpf-map": 0,
          "bpf-prog": 0}
INTERPS = ["3.10", "3.12"]


def log(msg):
    sys.stderr.write("soak: %s\n" % msg)
    sys.stderr.flush()


def pyenv_dir(ver):
    """/root/.pyenv/versions/VER.* (the newest), or None"""
    if not os.path.isdir(PYENV):
        return None
    best = None
    for d in sorted(os.listdir(PYENV)):
        if d.startswith(ver + ".") and d[len(ver) + 1:].isdigit():
            if best is None or int(d.split(".")[2]) > int(best.split(".")[2]):
                best = d
    return os.path.join(PYENV, best) if best else None


class Interp:
    """one interpreter of the churn: NAME (its comm, <= 15 characters) is a
    symlink in the private directory to the real binary; its libpython is
    a private copy. ENV: what its processes are run with."""

    def __init__(self, ver, name, path, lib, env):
        self.ver, self.name, self.path, self.lib, self.env = ver, name, path, lib, env


def make_private(priv, debian, prefix):
    """the private interpreters in PRIV, named PREFIX-py3X -> [Interp]"""
    libdir = os.path.join(priv, "lib")
    os.mkdir(libdir)
    out = []
    for ver in INTERPS:
        name = "%s-py%s" % (prefix, ver.replace(".", ""))
        d = pyenv_dir(ver)
        if d is None:
            log("no pyenv %s under %s: left out" % (ver, PYENV))
            continue
        so = "libpython%s.so.1.0" % ver
        shutil.copy2(os.path.join(d, "lib", so), os.path.join(libdir, so))
        link = os.path.join(priv, name)
        os.symlink(os.path.join(d, "bin", "python" + ver), link)
        env = clean_env({"LD_LIBRARY_PATH": libdir})
        out.append(Interp(ver, name, link, os.path.join(libdir, so), env))
    if debian:
        # a copy of the whole (static) interpreter: its USDT semaphores are
        # then in a file only the soak's processes map; PYTHONHOME, as the
        # copy is not next to its standard library
        copy = os.path.join(priv, "%s-py311" % prefix)
        shutil.copy2("/usr/bin/python3.11", copy)
        out.append(Interp("3.11", os.path.basename(copy), copy, copy, clean_env({"PYTHONHOME": "/usr"})))
    for it in out:
        check_private(it)
    return out


def clean_env(extra):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def mapped_lib(pid):
    """the libpython files and Debian interpreters process PID maps"""
    libs = set()
    try:
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                p = line.split()
                if len(p) >= 6 and ("/libpython" in p[5] or p[5].startswith("/usr/bin/python")):
                    libs.add(p[5])
    except OSError:
        pass
    return libs


def check_private(it):
    """run IT once: it must map its private copy and no other libpython"""
    code = "import sys; sys.stdout.write(open('/proc/self/maps').read())"
    p = subprocess.run([it.path, "-c", code], env=it.env, stdout=subprocess.PIPE,
                       universal_newlines=True, timeout=60, check=True)
    files = {ln.split()[5] for ln in p.stdout.splitlines()
             if len(ln.split()) >= 6 and ("libpython" in ln or "python3" in ln.split()[5])}
    if it.lib not in files or any(f != it.lib and "libpython" in f for f in files):
        raise SystemExit("soak: %s does not map its private copy %s alone: %s"
                         % (it.name, it.lib, sorted(files)))
    log("%s (%s) maps %s" % (it.name, it.ver, it.lib))


def proc_sample(pid):
    """the tracer's VmRSS (KiB), fds, and fds by kind -> dict"""
    s = {"t": time.monotonic()}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                s[line.split(":")[0]] = int(line.split()[1])
    s["rss_kib"] = s.pop("VmRSS")
    kinds = {"perf_event": 0, "bpf-link": 0, "bpf-map": 0, "bpf-prog": 0}
    n = 0
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            target = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        n += 1
        m = re.match(r"anon_inode:\[?([a-z_-]+)\]?$", target)
        if m and m.group(1) in kinds:
            kinds[m.group(1)] += 1
    s["fds"] = n
    s.update(kinds)
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    s["cpu_s"] = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    return s


class Churn:
    """the processes started, and what each must have called"""

    def __init__(self, interps, priv, rng, max_live):
        self.interps, self.priv, self.rng, self.max_live = interps, priv, rng, max_live
        self.live = []          # (Popen, kind, expected, deadline stop file or None)
        self.want = {}          # (pid, file) -> f() calls
        self.started = {"short": 0, "fork": 0, "exec": 0, "long": 0}
        self.instances = 0      # process images the tracer must describe
        self.skipped = 0
        self.reused = 0
        self.pids = set()       # distinct PIDs of the churn (the tracer keeps state per PID)
        self.failures = []
        self.mapping_checked = 0
        self.trigger = os.path.join(priv, "go")   # made once the tracer is tracing
        self.nlong = 0

    def _spawn(self, it, argv, kind, want, stop=None):
        p = subprocess.Popen([it.path] + argv, env=it.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        self.live.append((p, kind, want, stop))
        self.pids.add(p.pid)
        self.started[kind] += 1
        return p

    def start_long(self, it, seconds):
        """a process in churn.py's loop mode until its stop file exists
        (SECONDS from now, or the end of the session: None)"""
        self.nlong += 1
        stop = os.path.join(self.priv, "stop-%d" % self.nlong)
        p = self._spawn(it, [CHURN, "0", self.trigger, stop], "long", {}, stop)
        deadline = None if seconds is None else time.monotonic() + seconds
        self.live[-1] = (p, "long", {"deadline": deadline}, stop)
        self.instances += 1
        return p

    def start_short(self):
        if sum(1 for x in self.live if x[1] != "long") >= self.max_live:
            self.skipped += 1
            return
        r, it = self.rng.random(), self.rng.choice(self.interps)
        if r < 0.1:
            # the child calls f() at least once: a child that runs no Python
            # call hits no probe and is not a process the tracer can see
            a, b, c = self.rng.randint(0, 500), self.rng.randint(1, 500), self.rng.randint(0, 500)
            self._spawn(it, [FORKEXEC, "fork", str(a), str(b), str(c)], "fork",
                        {"a": a, "b": b, "c": c})
            self.instances += 2
        elif r < 0.2:
            a, b = self.rng.randint(0, 500), self.rng.randint(1, 2000)
            # the new image inherits the environment: an interpreter of the
            # same one (LD_LIBRARY_PATH of the private copies)
            it2 = self.rng.choice([x for x in self.interps if x.env == it.env])
            self._spawn(it, [FORKEXEC, "exec", str(a), it2.path, CHURN, str(b)], "exec",
                        {"a": a, "b": b}, None)
            self.instances += 2
        else:
            n = self.rng.randint(1, 2000)
            self._spawn(it, [CHURN, str(n)], "short", {"n": n})
            self.instances += 1

    def reap(self, final=False):
        """collect what ended; tell long ones past their deadline to stop"""
        now = time.monotonic()
        keep = []
        for p, kind, want, stop in self.live:
            if kind == "long" and stop and not os.path.exists(stop):
                dl = want["deadline"]
                if final or (dl is not None and now >= dl):
                    open(stop, "w").close()
            if p.poll() is None:
                if kind == "long" and self.mapping_checked < 64:
                    # a process of the churn maps the private copy only
                    libs = mapped_lib(p.pid)
                    if libs and not any(lib.startswith(self.priv) for lib in libs):
                        self.failures.append("pid %d maps %s" % (p.pid, sorted(libs)))
                    self.mapping_checked += 1
                keep.append((p, kind, want, stop))
                continue
            out, err = p.communicate()
            if p.returncode != 0:
                self.failures.append("%s pid %d exit %d: %s" % (kind, p.pid, p.returncode,
                                                                err.strip()[-300:]))
                continue
            self._expect(p.pid, kind, want, out)
        self.live = keep

    def _add(self, pid, path, n):
        """PID is reused (pid_max is often 32768 and the machine busy): the
        same (pid, file) then sums the processes', as the trace's does"""
        k = (pid, path)
        if k in self.want:
            self.reused += 1
        self.want[k] = self.want.get(k, 0) + n

    def _expect(self, pid, kind, want, out):
        if kind == "short":
            self._add(pid, CHURN, want["n"])
        elif kind == "exec":
            self._add(pid, FORKEXEC, want["a"])
            self._add(pid, CHURN, want["b"])
        elif kind == "fork":
            m = re.search(r"^child: (\d+) 0$", out, re.M)
            if not m:
                self.failures.append("fork pid %d: no child line in %r" % (pid, out[-200:]))
                return
            self._add(pid, FORKEXEC, want["a"] + want["c"])
            self._add(int(m.group(1)), FORKEXEC, want["b"])
            self.pids.add(int(m.group(1)))
        elif kind == "long":
            m = re.search(r"^calls: (\d+)$", out, re.M)
            if not m:
                self.failures.append("long pid %d: no calls line in %r" % (pid, out[-200:]))
                return
            self._add(pid, CHURN, int(m.group(1)))


EVENT = re.compile(r'^\{"name":"f","cat":"python","ph":"X","pid":(\d+),.*"args":\{"file":"'
                   r'((?:[^"\\]|\\.)*)"')


def read_counts(json_path):
    """stream the Chrome JSON (its array form, one event a line): (f() calls
    per (pid, file), the args of the last event, "tracer_session": the
    session's counters and processes; None when the file was cut short)"""
    counts, other = {}, None
    with open(json_path, errors="replace") as f:
        for line in f:
            if line.startswith('{"name":"f",'):
                m = EVENT.match(line)
                if m:
                    k = (int(m.group(1)), json.loads('"%s"' % m.group(2)))
                    counts[k] = counts.get(k, 0) + 1
            elif line.startswith('{"name":"tracer_session",'):
                other = json.loads(line.rstrip().rstrip(","))["args"]
    return counts, other


def slope(samples, x, y):
    """least-squares slope of Y against X over SAMPLES (None if X is flat)"""
    xs, ys = [s[x] for s in samples], [s[y] for s in samples]
    if len(xs) < 2:
        return None
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    if not sxx:
        return None
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sxx


def quarter_stats(samples, key):
    n = len(samples)
    q = max(1, n // 4)
    first = [s[key] for s in samples[:q]]
    last = [s[key] for s in samples[-q:]]
    vals = [s[key] for s in samples]
    return {"start": vals[0], "end": vals[-1], "min": min(vals), "max": max(vals),
            "first_q": statistics.median(first), "last_q": statistics.median(last),
            "growth": statistics.median(last) - statistics.median(first)}


def recording_size(rec):
    """The recording's size so far: it is written under a temporary name
    (REC.tracer-partial-*, user/util/out_file.c) and renamed into place at the end."""
    d, base = os.path.split(rec)
    for name in os.listdir(d):
        if name == base or name.startswith(base + ".tracer-partial-"):
            return os.path.getsize(os.path.join(d, name))
    return 0


def run(args):
    if os.geteuid() != 0:
        raise SystemExit("soak: needs root (tracer -a)")
    priv = tempfile.mkdtemp(prefix="tracer-soak-")
    os.chmod(priv, 0o755)
    log("private directory %s" % priv)
    res = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
           "kernel": os.uname().release, "nproc": os.cpu_count(),
           "seconds": args.seconds, "rate": args.rate, "max_live": args.max_live,
           "interval": args.interval, "failures": []}
    if not re.match(r"^[a-z][a-z0-9-]{0,9}$", args.prefix):
        raise SystemExit("soak: --prefix: up to 10 of a-z, 0-9, - (a process name has 15)")
    interps = make_private(priv, args.debian, args.prefix)
    if not interps:
        raise SystemExit("soak: no interpreter to run")
    res["interps"] = ["%s %s" % (it.name, it.ver) for it in interps]
    rng = random.Random(args.seed)
    churn = Churn(interps, priv, rng, args.max_live)
    rec = os.path.join(priv, "soak.trace")
    tr = None
    samples = []
    try:
        for it in interps:   # one long process per interpreter: the files probed at the start
            churn.start_long(it, None)
        for p, *_ in churn.live:
            line = p.stderr.readline()
            if "churn: ready" not in line:
                raise SystemExit("soak: a long process did not start: %r" % line)
        cmd = [args.tracer, "-a", "-o", rec]
        for it in interps:
            cmd += ["--comm", it.name]
        errlog = open(os.path.join(priv, "tracer.err"), "w+")
        tr = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errlog)
        t0 = time.monotonic()
        while True:
            time.sleep(0.2)
            errlog.seek(0)
            if "tracer: tracing" in errlog.read():
                break
            if tr.poll() is not None or time.monotonic() > t0 + 120:
                errlog.seek(0)
                raise SystemExit("soak: the tracer did not start:\n" + errlog.read()[-2000:])
        open(churn.trigger, "w").close()
        log("tracer pid %d tracing after %.1f s; churn for %d s" % (
            tr.pid, time.monotonic() - t0, args.seconds))
        start = time.monotonic()
        end = start + args.seconds
        next_sample, next_long = start, start + 30
        series = open(os.path.join(priv, "samples.jsonl"), "w")   # kept as they come
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_sample:
                s = proc_sample(tr.pid)
                s["t"] -= start
                s["live"] = len(churn.live)
                s["pids"] = len(churn.pids)
                s["trace_bytes"] = recording_size(rec)
                samples.append(s)
                series.write(json.dumps(s) + "\n")
                series.flush()
                next_sample += args.interval
                if len(samples) % 12 == 1:
                    log("%5.0f s: rss %d KiB, fds %d, perf_event %d, cpu %.1f s, started %s, "
                        "live %d, trace %.0f MB" % (s["t"], s["rss_kib"], s["fds"],
                                                    s["perf_event"], s["cpu_s"], churn.started,
                                                    s["live"], s["trace_bytes"] / 1e6))
            if now >= next_long:
                churn.start_long(rng.choice(interps), rng.uniform(30, 300))
                next_long += 120
            churn.start_short()
            churn.reap()
            # the next start: exponential gaps (a Poisson process of RATE)
            time.sleep(min(rng.expovariate(args.rate), 2.0))
        log("churn stopped; waiting for the processes")
        t_wait = time.monotonic()
        while churn.live and time.monotonic() < t_wait + 120:
            churn.reap(final=True)
            time.sleep(0.1)
        for p, kind, *_ in churn.live:
            churn.failures.append("%s pid %d still running at the end: killed" % (kind, p.pid))
            p.kill()
        samples.append(dict(proc_sample(tr.pid), t=time.monotonic() - start, live=0,
                            pids=len(churn.pids), trace_bytes=recording_size(rec)))
        tr.send_signal(signal.SIGINT)
        rc = tr.wait(600)
        errlog.seek(0)
        err = errlog.read()
        res["tracer_rc"] = rc
        if rc != 0:
            res["failures"].append("the tracer exited with %d" % rc)
    finally:
        if tr and tr.poll() is None:
            tr.kill()
        for p, *_ in churn.live:
            p.kill()
    res["failures"] += churn.failures
    res["started"] = churn.started
    res["skipped"] = churn.skipped
    res["pids_reused"] = churn.reused
    res["trace_bytes"] = os.path.getsize(rec)
    probed = re.findall(r"^tracer: probing (\S+) .*: (\d+) probes", err, re.M)
    res["probed"] = probed
    for f, _ in probed:
        if not f.startswith(priv):
            res["failures"].append("the session probed %s, not a private copy" % f)
    m = re.search(r"^tracer: (\d+) processes traced \((\d+) exited.*$", err, re.M)
    res["traced_line"] = m.group(0) if m else None
    if not m or int(m.group(1)) != churn.instances or int(m.group(2)) != churn.instances:
        res["failures"].append("tracer: %r, %d process images started (all exited)"
                               % (m.group(0) if m else err[-500:], churn.instances))
    # the recording, converted, streamed
    log("tracer ended (%d); converting the recording (%.0f MB)" % (rc, os.path.getsize(rec) / 1e6))
    js = os.path.join(priv, "soak.json")
    t0 = time.monotonic()
    p = subprocess.run([args.tracer, "report", rec, "-o", js], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    res["report_s"] = time.monotonic() - t0
    if p.returncode != 0:
        res["failures"].append("tracer report: %d %s" % (p.returncode, p.stdout[-500:]))
        counts, other = {}, {}
    else:
        log("reading %s (%.0f MB)" % (js, os.path.getsize(js) / 1e6))
        counts, other = read_counts(js)
    res["json_bytes"] = os.path.getsize(js) if os.path.exists(js) else 0
    check_counts(res, churn.want, counts)
    check_other(res, other or {}, churn.instances)
    res["samples"] = samples
    res["series"] = {k: quarter_stats(samples, k) for k in
                     ("rss_kib", "fds", "perf_event", "bpf-link", "bpf-map", "bpf-prog",
                      "cpu_s")}
    res["VmHWM"] = samples[-1].get("VmHWM")
    res["distinct_pids"] = len(churn.pids)
    res["rss_per_pid"] = slope(samples[len(samples) // 4:], "pids", "rss_kib")
    for k, bound in BOUNDS.items():
        g = res["series"][k]["growth"]
        if g > bound:
            res["failures"].append("%s grew by %s between the first and last quarter (bound %s)"
                                   % (k, g, bound))
    with open(os.path.join(priv, "soak-result.json"), "w") as f:
        json.dump(res, f, indent=1)
    if not args.keep:   # the result and the tracer's messages stay
        for name in ("soak.trace", "soak.json"):
            if os.path.exists(os.path.join(priv, name)):
                os.unlink(os.path.join(priv, name))
        shutil.rmtree(os.path.join(priv, "lib"))
    res["dir"] = priv
    return res


def check_counts(res, want, counts):
    """every process's f() calls, per (pid, file), exact"""
    ours = {k: v for k, v in counts.items() if k[1] in (CHURN, FORKEXEC)}
    wrong = [(k, v, ours.get(k, 0)) for k, v in sorted(want.items()) if ours.get(k, 0) != v]
    extra = [(k, v) for k, v in sorted(ours.items()) if k not in want]
    res["checked"] = len(want)
    res["f_calls"] = sum(want.values())
    res["wrong"] = wrong[:20]
    res["n_wrong"] = len(wrong)
    if wrong:
        res["failures"].append("%d of %d (pid, file) counts wrong: (key, want, traced) %r"
                               % (len(wrong), len(want), wrong[:5]))
    if extra:
        res["failures"].append("calls of f() in processes not started by the soak: %r"
                               % extra[:5])


def check_other(res, od, instances):
    """the tracer's own counters: nothing lost, every exit seen"""
    lost = od.get("lost", {})
    res["lost"] = lost
    keys = ("events", "calls", "processes_traced", "exits", "exits_unseen", "events_stale",
            "unmatched_returns", "open_at_end", "open_at_exit", "inferred_returns")
    res["other"] = {k: od.get(k) for k in keys}
    if not lost or any(v for v in lost.values()):
        res["failures"].append("events lost: %r" % lost)
    for k in ("exits_unseen", "unmatched_returns", "open_at_end"):
        if od.get(k):
            res["failures"].append("%s: %r" % (k, od.get(k)))
    if od.get("processes_traced") != instances:
        res["failures"].append("processes_traced %r, %d process images started"
                               % (od.get("processes_traced"), instances))
    procs = od.get("processes", [])
    res["late_warnings"] = sum(1 for p in procs for w in p.get("warnings", [])
                               if "before its interpreter file was probed" in w)
    res["proc_ends"] = {}
    for p in procs:
        res["proc_ends"][p.get("end")] = res["proc_ends"].get(p.get("end"), 0) + 1


def markdown(res):
    se = res["series"]
    o = res["other"]
    st = res["started"]
    n = sum(st.values())
    out = [BEGIN, "", "### Soak of %s" % res["date"], ""]
    out.append(
        "`make soak` (`tools/soak.py`), %d s (%.0f min), Linux %s, %d CPUs (shared with other "
        "work). `tracer -a -o soak.trace --comm ...` while %d processes were started, about "
        "%.2f a second: %d short (`churn.py N`, N in 1-2000), %d forking, %d exec'ing another "
        "interpreter, %d long (one per interpreter for the whole session, one more every 2 "
        "min for 30-300 s); %d starts skipped (more than %d short ones alive). Interpreters: "
        "%s, private copies of their libpython. Samples every %g s: %d." % (
            res["seconds"], res["seconds"] / 60, res["kernel"], res["nproc"], n,
            n / max(res["seconds"], 1), st["short"], st["fork"], st["exec"], st["long"],
            res["skipped"], res["max_live"], ", ".join(res["interps"]), res["interval"],
            len(res["samples"])))
    out += ["", "| Series | start | end | max | first quarter (median) | last quarter "
            "(median) | growth | bound |", "|---|---|---|---|---|---|---|---|"]
    for k, label in (("rss_kib", "RSS KiB"), ("fds", "open fds"),
                     ("perf_event", "probes (perf_event fds)"), ("bpf-link", "BPF links"),
                     ("bpf-map", "BPF maps"), ("bpf-prog", "BPF programs"),
                     ("cpu_s", "tracer CPU s (cumulative)")):
        s = se[k]
        out.append("| %s | %s | %s | %s | %s | %s | %+g | %s |" % (
            (label,) + tuple("%g" % round(s[f], 2) for f in
                             ("start", "end", "max", "first_q", "last_q")) +
            (round(s["growth"], 2), BOUNDS.get(k, "—"))))
    out += ["", "- Peak RSS (VmHWM, the set-up's analysis of the interpreter files "
            "included): %s KiB. Distinct PIDs of the churn: %d; the tracer's RSS against "
            "them after the first quarter (least squares): %s KiB per new PID." % (
                res["VmHWM"], res["distinct_pids"],
                "%.2f" % res["rss_per_pid"] if res["rss_per_pid"] is not None else "-"),
            "- Recording %.0f MB, converted by `tracer report` to %.0f MB of JSON in %.0f s. "
            "Events %s, calls %s; lost: %s." % (
                res["trace_bytes"] / 1e6, res["json_bytes"] / 1e6, res["report_s"],
                o["events"], o["calls"], ", ".join("%s %s" % kv for kv in res["lost"].items())),
            "- Processes: %s process images traced (an exec'ing process is two), %s exits "
            "seen, %s unseen; the tracer said `%s`; %d PIDs reused within the soak's own "
            "processes." % (o["processes_traced"], o["exits"], o["exits_unseen"],
                            res["traced_line"], res["pids_reused"]),
            "- Exact counts: %d (PID, file) pairs, %d calls of `f()`, checked against the "
            "processes' own arguments and output: **%d wrong**." % (
                res["checked"], res["f_calls"], res["n_wrong"]),
            "- Described as \"started ... before its interpreter file was probed\": %d of %s "
            "process images (the files were probed at the start)." % (
                res["late_warnings"], o["processes_traced"])]
    out.append("")
    if res["failures"]:
        out.append("**Failures** (%d):" % len(res["failures"]))
        out += ["- %s" % f for f in res["failures"][:20]]
    else:
        out.append("**Result: flat within the bounds, nothing lost, every count exact.**")
    out += ["", END]
    return "\n".join(out) + "\n"


def write_section(text):
    with open(BENCHMARKS_MD) as f:
        doc = f.read()
    if BEGIN in doc and END in doc:
        a = doc.index(BEGIN)
        b = doc.index(END) + len(END) + 1
        doc = doc[:a] + text + doc[b:]
    else:
        raise SystemExit("soak: no soak markers in BENCHMARKS.md")
    tmp = BENCHMARKS_MD + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, BENCHMARKS_MD)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", 3600)))
    ap.add_argument("--rate", type=float, default=2.0, help="processes started a second")
    ap.add_argument("--max-live", type=int, default=12, help="short processes at once, at most")
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--tracer", default=TRACER)
    ap.add_argument("--prefix", default="soak",
                    help="process names PREFIX-py3X (another soak at the same time: another)")
    ap.add_argument("--debian", action="store_true",
                    help="add a private copy of Debian's python3.11 (USDT; a dedicated machine)")
    ap.add_argument("--keep", action="store_true", help="keep the recording and its JSON")
    ap.add_argument("--write", action="store_true", help="write the Soak section of BENCHMARKS.md")
    args = ap.parse_args()
    res = run(args)
    text = markdown(res)
    print(text)
    log("details in %s/soak-result.json" % res["dir"])
    if args.write:
        write_section(text)
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

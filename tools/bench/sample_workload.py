# SPDX-License-Identifier: MIT
"""CPU-bound workload of the sampling benchmark (issue 6).

Usage: PY sample_workload.py {rounds N | seconds S} RESULT_FILE [--profile]

run() calls, in turn (in a shuffled order), N times (a fixed amount of work: the overhead runs)
or until S seconds of its thread's CPU time have passed (the same number of
samples whatever the machine's load: the accuracy runs), f() (twice the
work of g()), g(), and k() (half of g's work, inline: no call of its own);
f and g do theirs in work(). Few calls, each long (about a millisecond), so
that the exact call trace and sys.setprofile cost next to nothing per call
and their times are the functions' own.

Timed here, so interpreter start-up and the tracer's set-up and draining do
not count: `loop` = time.perf_counter() around run(), `loop_cpu` =
time.process_time() around it; `proc_cpu` = the process's CPU time from its
start (getrusage), for the tracer's own CPU by difference. The workload's
own bookkeeping, the ground truth of the shares: the CPU time of f, g and k
(time.thread_time() around each call). With --profile, a sys.setprofile
hook also measures the inclusive wall time of every Python function
(outermost activation only), the way a deterministic profiler does.
One line of `key=value` to RESULT_FILE.
"""
import random
import resource
import sys
import time


def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def f():
    return work(20000)


def g():
    return work(10000)


def k():
    s = 0
    for i in range(5000):
        s += i * i
    return s


def run(rounds_max, seconds):
    cpu = {"f": 0.0, "g": 0.0, "k": 0.0}
    tt = time.thread_time
    end = tt() + seconds
    rounds = 0
    order = [f, g, k]
    rng = random.Random(6)
    while rounds < rounds_max and tt() < end:
        # each round in its own order (the same every run): the round
        # takes a fixed time, and were the order fixed too, a sampling
        # period near a multiple of it would find the same function at
        # each sample (aliasing): a measure of the two periods, not of
        # the sampler
        rng.shuffle(order)
        for fn in order:
            t0 = tt()
            fn()
            cpu[fn.__name__] += tt() - t0
        rounds += 1
    return cpu, rounds


class Profile(object):
    """inclusive time per function name (outermost activations)"""

    def __init__(self):
        self.stack = []
        self.active = {}
        self.total = {}

    def hook(self, frame, event, arg):
        if event == "call":
            name = frame.f_code.co_name
            self.stack.append((name, time.perf_counter()))
            self.active[name] = self.active.get(name, 0) + 1
        elif event == "return" and self.stack:
            name, t0 = self.stack.pop()
            self.active[name] -= 1
            if not self.active[name]:
                self.total[name] = self.total.get(name, 0.0) + time.perf_counter() - t0


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("rounds", "seconds") or \
            sys.argv[4:] not in ([], ["--profile"]):
        sys.stderr.write("usage: sample_workload.py {rounds N | seconds S} RESULT_FILE "
                         "[--profile]\n")
        return 2
    if sys.argv[1] == "rounds":
        rounds, seconds = int(sys.argv[2]), float("inf")
    else:
        rounds, seconds = float("inf"), float(sys.argv[2])
    prof = Profile() if sys.argv[4:] else None
    if prof:
        sys.setprofile(prof.hook)
    w0, c0 = time.perf_counter(), time.process_time()
    cpu, rounds = run(rounds, seconds)
    loop, loop_cpu = time.perf_counter() - w0, time.process_time() - c0
    if prof:
        sys.setprofile(None)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = ["loop=%.6f" % loop, "loop_cpu=%.6f" % loop_cpu,
           "proc_cpu=%.6f" % (ru.ru_utime + ru.ru_stime), "rounds=%d" % rounds]
    out += ["cpu_%s=%.6f" % kv for kv in sorted(cpu.items())]
    if prof:
        out += ["prof_%s=%.6f" % (n, prof.total.get(n, 0.0)) for n in ("run", "f", "g", "k",
                                                                       "work")]
    with open(sys.argv[3], "w") as f_out:
        f_out.write(" ".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: MIT
"""CPU-bound workload of the coverage benchmark: ordinary Python code (a
sieve, sorting, string building, a small interpreter loop, dict work) with
a realistic call rate. Prints "loop SECONDS" (time.perf_counter around the
work, so interpreter start and the tracer's set-up do not count)."""
import sys
import time


def sieve(n):
    flags = [True] * (n + 1)
    flags[0] = flags[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
    return [i for i, f in enumerate(flags) if f]


def insertion_sort(xs):
    xs = list(xs)
    for i in range(1, len(xs)):
        v, j = xs[i], i - 1
        while j >= 0 and xs[j] > v:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = v
    return xs


class Machine:
    def __init__(self):
        self.stack, self.acc = [], 0

    def step(self, op, arg):
        if op == "push":
            self.stack.append(arg)
        elif op == "add":
            self.stack.append(self.stack.pop() + self.stack.pop())
        elif op == "mul":
            self.stack.append(self.stack.pop() * self.stack.pop())
        else:
            self.acc += self.stack.pop()

    def run(self, prog):
        for op, arg in prog:
            self.step(op, arg)
        return self.acc


def words(n):
    out = []
    for i in range(n):
        s = "w%d" % (i * 7919 % 1000)
        out.append(s.upper() if i % 3 == 0 else s)
    counts = {}
    for w in out:
        counts[w] = counts.get(w, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def main(rounds):
    prog = [("push", 3), ("push", 4), ("add", None), ("push", 5), ("mul", None), ("pop", None)]
    total = 0
    t0 = time.perf_counter()
    for r in range(rounds):
        total += len(sieve(20000))
        total += insertion_sort(range(300, 0, -1))[0]
        m = Machine()
        total += m.run(prog * 200)
        total += len(words(3000))
    print("loop %.6f" % (time.perf_counter() - t0))
    return total


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)

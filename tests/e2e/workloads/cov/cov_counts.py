# SPDX-License-Identifier: MIT
"""Calls for the exact call counts of a coverage session whose calls are
counted inside the process (3.12+, only coverage maps written): more calls
than one hand-over holds (65,536), from several threads, generators
resumed, sent into and thrown into (one before it ever started), and deep
recursion. Prints one `result:` line."""
import sys
import threading


def tick(x):
    return x + 1


def spin(n):
    s = 0
    for i in range(n):
        s = tick(s)
    return s


def gen(n):
    total = 0
    for i in range(n):
        try:
            got = yield i
            total += got or 0
        except ValueError:
            total -= 1
    return total


def drive_gen():
    g = gen(50)
    out = [next(g)]
    for i in range(20):
        out.append(g.send(i))
        out.append(g.throw(ValueError))
    fresh = gen(3)
    try:
        fresh.throw(KeyError)       # before it ever started
    except KeyError:
        out.append("thrown")
    return len(out)


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


def worker(results, k):
    results.append(spin(20000 + k))


def main():
    results = [spin(100000), drive_gen(), depth(300)]
    threads = [threading.Thread(target=worker, args=(results, k)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(map(str, results))


if __name__ == "__main__":
    sys.setrecursionlimit(2000)
    print("result: %r" % (main(),))

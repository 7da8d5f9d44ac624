# SPDX-License-Identifier: MIT
"""Generator-heavy workload of the dispatch benchmark (issue 20).

Usage: PY gen_workload.py SECONDS

A pipeline of generators the way a syntax highlighter (pygments) runs one:
lex() yields tokens, filt() rewrites them and yields them on, streamer()
consumes the stream and calls fmt() per token. Every token passes two
yields and two resumes and one call, and each function does some work of
its own per token, so self time is spread over the four and each yield is
an event that a tracer must place exactly: the self-time shares of an exact
trace and of CPU samples should agree. Runs until SECONDS of its thread's
CPU time have passed (the same number of samples whatever the machine's
load).
"""
import sys
import time


def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def lex(text):
    for word in text:
        s = 0
        for i in range(3000):   # lex's own work (inline: no call)
            s += i
        yield len(word) & 3, word


def filt(tokens):
    for kind, word in tokens:
        s = 0
        for i in range(1500):
            s += i
        yield kind, word


def fmt(kind, word):
    s = 0
    for i in range(1000):
        s += i
    return "<%d>%s" % (kind, word)


def streamer(text):
    n = 0
    for kind, word in filt(lex(text)):
        s = 0
        for i in range(2000):
            s += i
        n += len(fmt(kind, word))
    return n


def main():
    seconds = float(sys.argv[1])
    text = ["w%d" % i for i in range(200)]
    t0 = time.thread_time()
    while time.thread_time() - t0 < seconds:
        streamer(text)


if __name__ == "__main__":
    main()

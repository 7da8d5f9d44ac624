# SPDX-License-Identifier: MIT
"""A process of the soak (tools/soak.py) that forks or execs.

  forkexec.py fork A B C   calls f() A times, forks: the child calls f() B
                           times and exits; the parent waits for it, calls
                           f() C times and prints "child: PID"
  forkexec.py exec A PYTHON SCRIPT ARG...
                           calls f() A times, then execs PYTHON SCRIPT ARG...
                           (the same process, another program image)"""
import os
import sys


def f():
    pass


def main():
    mode, a = sys.argv[1], int(sys.argv[2])
    for _ in range(a):
        f()
    if mode == "fork":
        b, c = int(sys.argv[3]), int(sys.argv[4])
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            for _ in range(b):
                f()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        for _ in range(c):
            f()
        print("child: %d %d" % (pid, status))
    elif mode == "exec":
        os.execv(sys.argv[3], sys.argv[3:])
    else:
        sys.exit("forkexec.py: unknown mode %r" % mode)


main()

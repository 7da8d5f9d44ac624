# SPDX-License-Identifier: MIT
"""The image exec_a.py execs (test_exec.py)."""


def double(x):
    return 2 * x


def walk(n):
    return [double(i) for i in range(n)]


def main():
    return sum(walk(300)) + sum(double(i) for i in range(50))


if __name__ == "__main__":
    import _harness
    _harness.run(main)

"""Code objects made, called once and freed, 400 times: their addresses get
reused. Prints how many were reused (from id()), so a test knows the case
was really exercised. Not a ground-truth workload (no main())."""
import gc
import sys


def run():
    ids = {}
    reused = 0
    for i in range(400):
        ns = {}
        src = "def f%d():\n" % i + "\n" * (i % 5) + "    return %d\n" % i
        code = compile(src, "/reuse/file_%d.py" % (i % 7), "exec")
        exec(code, ns)
        fn = ns["f%d" % i]
        if id(fn.__code__) in ids:
            reused += 1
        ids[id(fn.__code__)] = i
        fn()
        del ns, fn, code
        gc.collect()
    print("reused %d" % reused)


if __name__ == "__main__":
    run()

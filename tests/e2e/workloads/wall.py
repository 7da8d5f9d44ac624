# SPDX-License-Identifier: MIT
"""Wall-clock sampling workload (test_sample_wall.py; not in
helpers.WORKLOAD_LIST). Threads, each in its own function:

- sleeper_main: alternates nap() (time.sleep) and busy() (computing), the
  wall time of each measured with time.monotonic() around every call;
- blocker_main: wait_lock() blocks on a lock the main thread holds, then
  wait_queue() on a queue.Queue the main thread fills later, each measured;
- spinner_main: spin() computes for the whole phase, measured;
- deep_main: a recursion DEPTH deep whose innermost frame sleeps in
  deep_nap(); its Python frames, counted by walking sys._getframe(), are
  the ground truth of the sampled stacks' depth;
- the main thread holds the lock, then fills the queue, then joins.

Everything measured goes to stderr as one line `truth: {json}`, with each
thread's native id."""
import json
import os
import queue
import sys
import threading
import time

from sampling import stack_depth, work

SECONDS = float(os.environ.get("E2E_WALL_SECONDS", "3"))
DEPTH = int(os.environ.get("E2E_WALL_DEPTH", "600"))
NAP = 0.030
BUSY = 0.020
truth = {"tids": {}}


def nap():
    time.sleep(NAP)


def busy():
    end = time.monotonic() + BUSY
    while time.monotonic() < end:
        work(200)


def sleeper_main(end):
    truth["tids"]["sleeper"] = threading.get_native_id()
    t_nap = t_busy = c_nap = 0.0
    while time.monotonic() < end:
        t0, c0 = time.monotonic(), time.thread_time()
        nap()
        t1 = time.monotonic()
        c_nap += time.thread_time() - c0
        busy()
        t2 = time.monotonic()
        t_nap += t1 - t0
        t_busy += t2 - t1
    # nap_cpu: the CPU time the thread used inside nap() (entering and
    # leaving the sleep, taking the GIL back)
    truth["sleeper"] = {"nap": t_nap, "busy": t_busy, "nap_cpu": c_nap}


def wait_lock(lock):
    with lock:
        pass


def wait_queue(q):
    q.get()


def blocker_main(lock, q):
    truth["tids"]["blocker"] = threading.get_native_id()
    t0, c0 = time.monotonic(), time.thread_time()
    wait_lock(lock)
    t1 = time.monotonic()
    wait_queue(q)
    t2 = time.monotonic()
    truth["blocker"] = {"wait_lock": t1 - t0, "wait_queue": t2 - t1,
                        "wait_cpu": time.thread_time() - c0}


def spin(end):
    while time.monotonic() < end:
        work(300)


def spinner_main(end):
    truth["tids"]["spinner"] = threading.get_native_id()
    t0 = time.monotonic()
    spin(end)
    truth["spinner"] = {"spin": time.monotonic() - t0}


def deep_nap(end):
    while time.monotonic() < end:
        time.sleep(0.05)


def deep(n, end):
    if n == 0:
        truth["deep_depth"] = stack_depth() + 1	# with deep_nap(), the innermost frame
        t0, c0 = time.monotonic(), time.thread_time()
        deep_nap(end)
        truth["deep_nap"] = time.monotonic() - t0
        truth["deep_nap_cpu"] = time.thread_time() - c0
        return 0
    return deep(n - 1, end)


def deep_main(end):
    truth["tids"]["deep"] = threading.get_native_id()
    deep(DEPTH, end)


def main():
    sys.setrecursionlimit(DEPTH + 200)
    truth["tids"]["main"] = threading.get_native_id()
    lock, q = threading.Lock(), queue.Queue()
    end = time.monotonic() + SECONDS
    lock.acquire()
    threads = [threading.Thread(target=sleeper_main, args=(end,)),
               threading.Thread(target=blocker_main, args=(lock, q)),
               threading.Thread(target=spinner_main, args=(end,)),
               threading.Thread(target=deep_main, args=(end,))]
    for t in threads:
        t.start()
    time.sleep(SECONDS * 0.4)
    lock.release()
    time.sleep(SECONDS * 0.4)
    q.put(1)
    for t in threads:
        t.join()
    sys.stderr.write("truth: %s\n" % json.dumps(truth))
    sys.stderr.flush()
    return truth["deep_depth"]


if __name__ == "__main__":
    import _harness
    _harness.run(main)

# SPDX-License-Identifier: MIT
"""Command-line habits (issue 23): subcommands recognised before a command
to launch, `record` as the default verb, -r/--rate and --wall=HZ, and
usage errors that name `tracer`, not the binary's path."""
import helpers


def test_record_verb_and_rate(tracer):
    # `tracer record -r HZ -- CMD`: tracing by name, sampling at HZ
    r = helpers.run([tracer, "record", "-r", "199", "--", helpers.DEBIAN_PY, "-c",
                     "sum(range(10**6))"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "sampling CPU time at 199 Hz" in r.stderr, r.stderr


def test_wall_rate(tracer):
    r = helpers.run([tracer, "--wall=47", "--", helpers.DEBIAN_PY, "-c",
                     "import time; time.sleep(0.2)"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "sampling every thread (wall clock) at 47 Hz" in r.stderr, r.stderr


def test_a_subcommand_is_not_launched(tracer):
    # `tracer top` is the subcommand (its usage error), not `top` traced
    r = helpers.run([tracer, "top"], timeout=30)
    assert r.returncode == 64, r.stderr
    assert r.stderr.startswith("tracer top: which process? -p PID"), r.stderr
    assert "cannot run" not in r.stderr


def test_usage_errors_say_tracer(tracer):
    for argv in (["--no-such"], ["record", "--no-such"], ["report", "--no-such"],
                 ["dump", "--no-such"]):
        r = helpers.run([tracer] + argv, timeout=30)
        assert r.returncode == 64, r.stderr
        assert tracer not in r.stderr, r.stderr
        want = "tracer %s: " % argv[0] if argv[0] in ("report", "dump") else "tracer: "
        assert r.stderr.startswith(want + "unrecognized option '--no-such'"), r.stderr

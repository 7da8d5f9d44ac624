# SPDX-License-Identifier: MIT
"""Parsers of what the benchmark's runs print.  Each raises ValueError on
input it does not recognise rather than guessing."""
import json
import re

_RESULT = re.compile(r"^loop_seconds=(\d+(?:\.\d+)?) calls=(\d+) "
                     r"cpu_seconds=(\d+(?:\.\d+)?) ", re.M)
_BPFTRACE_MAP = re.compile(r"^@(\w+): (\d+)\s*$", re.M)
_EVENTS = re.compile(r"^events: (\d+) seen, (\d+) lost \(", re.M)
_CALLS = re.compile(r"^calls: (\d+) completed", re.M)


def workload_result(text):
    """(loop seconds, calls, process CPU seconds) from the workload's result file."""
    m = _RESULT.search(text)
    if not m:
        raise ValueError("unrecognised workload result %r" % text[:80])
    return float(m.group(1)), int(m.group(2)), float(m.group(3))


def bpftrace_counts(text):
    """{map name: count} of the @name: N lines bpftrace prints at exit."""
    return {k: int(v) for k, v in _BPFTRACE_MAP.findall(text)}


def tracer_summary(text):
    """seen, lost and completed calls from the tracer's summary (its last lines)."""
    ev = _EVENTS.findall(text)
    ca = _CALLS.findall(text)
    if not ev or not ca:
        raise ValueError("no `events:`/`calls:` lines in the tracer's summary")
    seen, lost = ev[-1]
    return {"seen": int(seen), "lost": int(lost), "completed": int(ca[-1])}


def tracer_json(path):
    """seen, lost and calls from a Chrome trace's last event, the
    "tracer_session" metadata event (it also checks the whole file is valid
    JSON: the array form, closed)."""
    with open(path) as f:
        doc = json.load(f)
    try:
        od = doc[-1]["args"]
        if doc[-1]["name"] != "tracer_session":
            raise KeyError("tracer_session")
        return {"seen": int(od["events"]), "lost": int(od["lost"]["total"]),
                "completed": int(od["calls"])}
    except (KeyError, TypeError, IndexError) as e:
        raise ValueError("the trace's tracer_session event lacks %s" % e)

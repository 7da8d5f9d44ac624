# SPDX-License-Identifier: MIT
"""The pprof output (.pprof): a gzipped profile.proto that protoc decodes,
whose functions are the workload's (name, file, first line), whose sample
values (self time per call stack, ns) add up to the traced time of the
Chrome trace of the same run, per function too, and that `tracer report`
of a recording of the run gives byte for byte.

Also the decoding helpers shared with test_pftrace.py: protoc (Debian's
protobuf-compiler) turns the binary into text, with --decode_raw (no
schema: the file is well-formed protobuf) and with --decode and a small
schema written here (the field numbers the sinks use), then parse_text()
turns that text into dicts."""
import codecs
import collections
import decimal
import gzip
import os
import shutil
import subprocess

import pytest

import helpers
import nesting

PROTOC = shutil.which("protoc") or "/usr/bin/protoc"

PROFILE_PROTO = """
syntax = "proto3";
package perftools.profiles;
message Profile {
  repeated ValueType sample_type = 1;
  repeated Sample sample = 2;
  repeated Mapping mapping = 3;
  repeated Location location = 4;
  repeated Function function = 5;
  repeated string string_table = 6;
  int64 time_nanos = 9;
  int64 duration_nanos = 10;
  ValueType period_type = 11;
  int64 period = 12;
  repeated int64 comment = 13;
  int64 default_sample_type = 14;
}
message ValueType { int64 type = 1; int64 unit = 2; }
message Sample {
  repeated uint64 location_id = 1; repeated int64 value = 2; repeated Label label = 3;
}
message Label { int64 key = 1; int64 str = 2; int64 num = 3; int64 num_unit = 4; }
message Mapping {
  uint64 id = 1; uint64 memory_start = 2; uint64 memory_limit = 3; uint64 file_offset = 4;
  int64 filename = 5; int64 build_id = 6; bool has_functions = 7; bool has_filenames = 8;
  bool has_line_numbers = 9; bool has_inline_frames = 10;
}
message Location { uint64 id = 1; uint64 mapping_id = 2; repeated Line line = 4; }
message Line { uint64 function_id = 1; int64 line = 2; }
message Function {
  uint64 id = 1; int64 name = 2; int64 system_name = 3; int64 filename = 4;
  int64 start_line = 5;
}
"""


# ---- protoc and its text format -------------------------------------------

def need_protoc():
    if not os.access(PROTOC, os.X_OK):
        pytest.fail("protoc not found: apt-get install protobuf-compiler")


def protoc(args, data, tmp_path, schema=None):
    """run protoc ARGS on DATA (bytes), with SCHEMA (text) as schema.proto
    in TMP_PATH; returns its stdout (text)"""
    need_protoc()
    cmd = [PROTOC] + list(args)
    if schema is not None:
        with open(os.path.join(str(tmp_path), "schema.proto"), "w") as f:
            f.write(schema)
        cmd += ["-I", str(tmp_path), "schema.proto"]
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                      p.stderr.decode(errors="replace")[-2000:])
    return p.stdout.decode("utf-8", "replace")


def decode_raw_ok(data, tmp_path):
    """protoc --decode_raw reads DATA: well-formed protobuf"""
    out = protoc(["--decode_raw"], data, tmp_path)
    assert out.strip(), "protoc --decode_raw printed nothing"


def _value(tok):
    if tok.startswith('"'):
        assert tok.endswith('"'), tok
        return codecs.escape_decode(tok[1:-1].encode("latin-1", "backslashreplace"))[0] \
            .decode("utf-8", "replace")
    try:
        return int(tok)
    except ValueError:
        return tok


def parse_text(text):
    """protoc's text format -> {field: [values]}, a nested message being a
    dict of the same kind. Fields the schema does not know come out as
    numbers: kept under their number (as a string)."""
    root = collections.defaultdict(list)
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
            continue
        if line.endswith("{"):
            key = line[:-1].strip()
            msg = collections.defaultdict(list)
            stack[-1][key].append(msg)
            stack.append(msg)
            continue
        key, _, val = line.partition(":")
        stack[-1][key.strip()].append(_value(val.strip()))
    assert len(stack) == 1, "unbalanced braces in protoc output"
    return root


def decode_profile(path, tmp_path):
    """a .pprof file -> its Profile message, parsed (see parse_text)"""
    with open(str(path), "rb") as f:
        data = gzip.decompress(f.read())
    decode_raw_ok(data, tmp_path)
    return parse_text(protoc(["--decode=perftools.profiles.Profile"], data, tmp_path,
                             PROFILE_PROTO))


def unknown_fields(msg, path="", out=None):
    """names of fields the schema did not know (printed as numbers)"""
    out = [] if out is None else out
    for k, vals in msg.items():
        if k.isdigit():
            out.append(path + k)
        for v in vals:
            if isinstance(v, dict):
                unknown_fields(v, path + k + ".", out)
    return out


def one(msg, key, default=0):
    v = msg.get(key)
    return v[0] if v else default


# ---- the Chrome trace, in nanoseconds ---------------------------------------

def chrome_ns(path):
    """the Chrome trace's calls as dicts with start/end/dur in integer ns
    (ts and dur are microseconds with 3 decimals: read exactly)"""
    doc = helpers.load_chrome(path, parse_float=decimal.Decimal)
    calls = []
    for e in doc["traceEvents"]:
        if e.get("ph") != "X" or e.get("cat") != "python":
            continue	# GC collections and imports are not calls
        start = int(e["ts"] * 1000)
        dur = int(e["dur"] * 1000)
        calls.append({"name": e["name"], "pid": e["pid"], "tid": e["tid"],
                      "file": e["args"]["file"], "line": e["args"]["line"],
                      "start": start, "end": start + dur, "dur": dur, "args": e["args"]})
    return doc, calls


def self_times(calls):
    """per call, its duration less its direct children's (nesting per
    thread, from the times); returns {(name, file, line): self ns}"""
    out = collections.Counter()
    per_path = nesting.self_per_path(((c["pid"], c["tid"]), c["start"], c["end"],
                                      (c["name"], c["file"], c["line"])) for c in calls)
    for path, ns in per_path.items():
        out[path[-1]] += ns
    return out


# ---- the profile ------------------------------------------------------------

class Profile(object):
    """a decoded .pprof, checked for the structure pprof requires"""

    def __init__(self, path, tmp_path):
        with open(str(path), "rb") as f:
            raw = f.read()
        assert raw[:2] == b"\x1f\x8b", "not gzip"
        data = gzip.decompress(raw)
        self.data = data
        decode_raw_ok(data, tmp_path)
        msg = parse_text(protoc(["--decode=perftools.profiles.Profile"], data, tmp_path,
                                PROFILE_PROTO))
        assert not unknown_fields(msg), unknown_fields(msg)
        s = self.strings = msg["string_table"]
        assert s and s[0] == "", "string_table[0] must be \"\""
        st = msg["sample_type"]
        assert [(s[one(v, "type")], s[one(v, "unit")]) for v in st] == \
            [("wall", "nanoseconds"), ("calls", "count")]
        pt = one(msg, "period_type", None)
        assert pt and (s[one(pt, "type")], s[one(pt, "unit")]) == ("wall", "nanoseconds")
        assert s[one(msg, "default_sample_type")] == "wall"
        self.comments = [s[i] for i in msg.get("comment", [])]
        # one Mapping, the interpreter, whose functions are known
        maps = msg["mapping"]
        assert len(maps) == 1 and one(maps[0], "id") == 1, maps
        self.mapping_file = s[one(maps[0], "filename")]
        assert self.mapping_file and all(
            one(maps[0], k) == "true" for k in ("has_functions", "has_filenames",
                                                "has_line_numbers")), maps[0]
        self.time_nanos = one(msg, "time_nanos")
        # names: unique (pprof merges functions by name); a name several
        # functions share carries the file ("name (file)"), and the first
        # line when the file is shared too; no system_name (pprof would
        # demangle it)
        self.funcs = {}
        self.names = {}
        for fn in msg["function"]:
            fid = one(fn, "id")
            assert fid and fid not in self.funcs, "function ids: unique, nonzero"
            assert not one(fn, "system_name"), fn
            name, file, line = s[one(fn, "name")], s[one(fn, "filename")], \
                one(fn, "start_line")
            assert name not in self.names.values(), "two functions named %r" % name
            self.names[fid] = name
            for suffix in (" (%s:%d)" % (file, line), " (%s)" % file):
                if name.endswith(suffix):
                    name = name[:-len(suffix)]
                    break
            self.funcs[fid] = (name, file, line)
        self.labels = []    # per sample: {key: value}
        self.locs = {}
        for loc in msg["location"]:
            lid = one(loc, "id")
            assert lid and lid not in self.locs, "location ids: unique, nonzero"
            lines = loc["line"]
            assert len(lines) == 1
            fid = one(lines[0], "function_id")
            assert fid in self.funcs, "location %d: unknown function %d" % (lid, fid)
            assert one(lines[0], "line") == self.funcs[fid][2]
            assert one(loc, "mapping_id") == 1, loc
            self.locs[lid] = fid
        self.samples = []	# ([function keys, leaf first], value)
        self.calls = []		# per sample: its calls
        for smp in msg["sample"]:
            ids = smp["location_id"]
            assert ids and all(i in self.locs for i in ids), ids
            vals = smp["value"]
            assert len(vals) == 2 and vals[0] >= 0 and vals[1] > 0, vals
            self.samples.append(([self.funcs[self.locs[i]] for i in ids], vals[0]))
            self.calls.append(vals[1])
            lab = {}
            for lb in smp.get("label", []):
                k = s[one(lb, "key")]
                assert k not in lab, "label %s twice" % k
                lab[k] = s[one(lb, "str")] if one(lb, "str") else one(lb, "num")
            assert set(lab) <= {"pid", "thread", "thread_name"} and \
                {"pid", "thread"} <= set(lab), lab
            self.labels.append(lab)

    def total(self):
        return sum(v for _, v in self.samples)

    def flat(self):
        """{(name, file, line): self ns}, from the leaves"""
        out = collections.Counter()
        for stack, v in self.samples:
            out[stack[0]] += v
        return out


def test_pprof_launch(tracer, interp, workload, truth, formats_run, tmp_path):
    """the .pprof of the session every format's test reads (formats_run.py),
    against the Chrome trace of that session"""
    run = formats_run(tracer, interp, workload)
    prof = Profile(run["pprof"], tmp_path)
    doc, calls = chrome_ns(run["json"])
    other = doc["session"]
    # every workload function, by its identity
    funcs = set(prof.funcs.values())
    missing = [k for k in truth.calls if k not in funcs]
    assert not missing, "functions missing from the profile: %r" % missing
    # one sample per distinct stack and thread, labeled with the thread
    stacks = [tuple(s) for s, _ in prof.samples]
    keyed = [(st, lab["pid"], lab["thread"]) for st, lab in zip(stacks, prof.labels)]
    assert len(keyed) == len(set(keyed)), "two samples with the same stack and thread"
    tids = set((c["pid"], c["tid"]) for c in calls)
    assert set((p, t) for _, p, t in keyed) <= tids, "a thread the trace does not have"
    # the wall-clock time of the first event: this run's (the session is
    # shared, so bounded by its own start and end, not by the test's time)
    assert run["began"] - 1 <= prof.time_nanos / 1e9 <= run["ended"] + 1, \
        (prof.time_nanos, run["began"], run["ended"])
    # leaf first: main() runs under <module>, its callees above it
    below_main = [s for s in stacks if any(f[0] == "main" and f[1] in workload.files
                                             for f in s[1:])]
    assert below_main, "no stack with a callee of main()"
    for s in below_main:
        i = [k for k, f in enumerate(s) if f[0] == "main" and f[1] in workload.files][0]
        assert s[-1][0] == "<module>", s
        assert i > 0, s
    # time: the sum of values is all the traced time, as in the Chrome
    # trace of the same run (its self times from the nesting of calls)
    chrome_self = self_times(calls)
    assert prof.total() == sum(chrome_self.values())
    flat = prof.flat()
    assert set(k for k, v in flat.items() if v) <= set(chrome_self)
    bad = ["%s %s:%d pprof %d chrome %d" % (k[0], k[1], k[2], flat.get(k, 0), v)
           for k, v in chrome_self.items() if flat.get(k, 0) != v]
    assert not bad, "self time per function differs:\n" + "\n".join(bad[:20])
    # the session's counters are said
    text = "\n".join(prof.comments)
    assert "events %d, calls %d, lost 0 " % (other["events"], other["calls"]) in text, text
    assert "strategy %s" % interp.strategy in text, text


def test_pprof_report_equals_direct(tracer, get_interp, formats_run, tmp_path):
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    run = formats_run(tracer, it, wl)
    p = helpers.run([tracer, "report", run["trace"], "-o",
                     str(tmp_path / "r.pprof")], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    a, b = Profile(run["pprof"], tmp_path), Profile(tmp_path / "r.pprof", tmp_path)
    assert a.samples, "an empty profile"
    # the same session gives the same bytes
    assert a.data == b.data
    with open(run["pprof"], "rb") as f:
        assert f.read() == (tmp_path / "r.pprof").read_bytes()

# SPDX-License-Identifier: MIT
"""`tracer report` of something it cannot read says what is wrong with it,
naming the file: a recording of a newer format version (which version, which
this tracer reads, what to do), a directory, an empty file, a file cut
inside its header, another kind of file. One line on stderr, exit 1; never a bare errno string ("Operation not supported",
"Input/output error") that describes the tracer's call, not the file."""
import os
import struct

import pytest

import helpers

BARE = ("operation not supported", "input/output error", "not supported")


@pytest.fixture(scope="module")
def recording(tracer, get_interp, tmp_path_factory):
    """a real recording, of a tiny run"""
    path = str(tmp_path_factory.mktemp("rec") / "run.trace")
    py = get_interp("debian3.11").python
    p = helpers.run([tracer, "-o", path, "--", py, "-c", "def f(): pass\nf()"], timeout=120)
    assert p.returncode == 0, helpers.describe(p)
    with open(path, "rb") as f:
        return f.read()


def report_refused(tracer, path, tmp_path):
    """run `tracer report PATH -o OUT.json`: refused with one line naming
    PATH; what the line says after PATH (test directories are named after
    the tests: their words in PATH prove nothing)"""
    out = tmp_path / "out.json"
    p = helpers.run([tracer, "report", str(path), "-o", str(out)], timeout=60)
    assert 0 < p.returncode < 128, helpers.describe(p)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "expected one line on stderr\n" + helpers.describe(p)
    assert str(path) in lines[0], "the message should name the file\n" + helpers.describe(p)
    for bad in BARE:
        assert bad not in lines[0].lower(), helpers.describe(p)
    return lines[0].split(str(path), 1)[1]


def test_newer_format_version(tracer, recording, tmp_path):
    """the version the file has, the one this tracer reads, and what to do"""
    ours = struct.unpack_from("<I", recording, 8)[0]
    path = tmp_path / "new.trace"
    path.write_bytes(recording[:8] + struct.pack("<I", ours + 2) + recording[12:])
    line = report_refused(tracer, path, tmp_path)
    assert "version %d" % (ours + 2) in line and "newer" in line, line
    assert "(%d)" % ours in line, "which version this tracer reads: " + line
    assert "upgrade" in line, line


def test_directory(tracer, tmp_path):
    d = tmp_path / "adir.trace"
    d.mkdir()
    line = report_refused(tracer, d, tmp_path)
    assert "is a directory" in line, line


def test_empty_file(tracer, tmp_path):
    path = tmp_path / "zero.trace"
    path.write_bytes(b"")
    line = report_refused(tracer, path, tmp_path)
    assert "empty" in line, line


def test_cut_inside_the_header(tracer, recording, tmp_path):
    path = tmp_path / "cut.trace"
    path.write_bytes(recording[:11])
    line = report_refused(tracer, path, tmp_path)
    assert "cut short" in line and "11 bytes" in line, line


def test_not_a_recording(tracer, tmp_path):
    path = tmp_path / "notes.trace"
    path.write_bytes(b"this is not a recording\n" * 10)
    line = report_refused(tracer, path, tmp_path)
    assert "not a tracer recording" in line, line


def test_newer_version_of_a_later_input(tracer, recording, tmp_path):
    """several recordings, the second too new: the message names that one"""
    ok = tmp_path / "ok.trace"
    ok.write_bytes(recording)
    ours = struct.unpack_from("<I", recording, 8)[0]
    new = tmp_path / "new.trace"
    new.write_bytes(recording[:8] + struct.pack("<I", ours + 1) + recording[12:])
    p = helpers.run([tracer, "report", str(ok), str(new)], timeout=60)
    assert p.returncode == 1, helpers.describe(p)
    assert "%s: recording format version %d is newer" % (new, ours + 1) in p.stderr, \
        helpers.describe(p)

# SPDX-License-Identifier: MIT
"""Coverage outputs (issue 5): LCOV (`-o X.lcov` / `X.info`) and
Cobertura XML (`-o X.xml`), launched and attached, --include/--omit,
merged recordings (`tracer report a.trace b.trace -o m.lcov`), and a
launch on 3.12+ (where a bootstrap measures lines) that leaves the program
and its directory as an untraced run would.

Workloads: workloads/cov/ (cov_main.py importing cov_helper.py,
cov_attach.py, cov_dups.py, cov_tiny.py); they are not in
helpers.WORKLOAD_LIST. Ground truth is cov_truth.py: a separate run of the
same script with the same interpreter under sys.settrace/threading.settrace
(lines) and sys.setprofile/threading.setprofile (calls), and the code
objects as that interpreter compiles the files (names, first lines, the
lines that can report a line event). Never the tracer's output.

Lines are measured on Debian's python3.11 (USDT `line`, launch and attach)
and on pyenv 3.12/3.13 launched (a bootstrap; with --strategy eval either
way, as the summary says); elsewhere the outputs have functions only, and
the summary says which. genhtml (Debian's lcov, or $GENHTML) renders the
LCOV; skipped with the reason when it is missing."""
import collections
import fnmatch
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import helpers
from cov_truth import cov_truth

TIMEOUT = 120
COV_DIR = os.path.join(helpers.WORKLOADS, "cov")
MAIN = os.path.join(COV_DIR, "cov_main.py")
HELPER = os.path.join(COV_DIR, "cov_helper.py")
ATTACH = os.path.join(COV_DIR, "cov_attach.py")
TINY = os.path.join(COV_DIR, "cov_tiny.py")
DUPS = os.path.join(COV_DIR, "cov_dups.py")
MAIN_FILES = [MAIN, HELPER]
ATTACH_FILES = [ATTACH, HELPER]
# frames of cov_attach.py running when the tracer attaches: their call
# happened before, so 0 is expected; 1 is tolerated (reported as begun at
# the attach time)
ATTACH_RUNNING = {("<module>",), ("wait_trigger",)}
GENHTML = os.environ.get("GENHTML") or shutil.which("genhtml")


def lines_measured(interp, attach=False):
    """does the tracer measure lines for this interpreter (spec of issue 5):
    True, False, or None for either (launched 3.12+ with --strategy eval:
    the bootstrap does not depend on how calls are seen)"""
    if interp.kind == "debian":
        return True
    if interp.version < (3, 12) or attach:
        return False
    return None if interp.tracer_args else True


def expected_mode(interp, summary, attach=False):
    """True when the outputs must have lines; where either is allowed, what
    the summary says decides"""
    want = lines_measured(interp, attach)
    if want is None:
        want = "lines" in coverage_modes(summary)
    return want


def check_summary(summary, lines):
    """one process: it says (maybe more than once: warnings repeat it) how
    coverage was measured, and never the other way"""
    want = "functions and lines" if lines else "functions only"
    modes = coverage_modes(summary)
    assert modes and set(modes) == {"lines" if lines else "functions"}, \
        "the summary should say `coverage: %s` (and not the other):\n%s" % (want, summary)


def src_line(path, n):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()[n - 1].strip()
    except (OSError, IndexError):
        return "?"


def line_of(path, text):
    """number of the first line of PATH containing TEXT"""
    with open(path, encoding="utf-8") as f:
        for n, l in enumerate(f, 1):
            if text in l:
                return n
    raise AssertionError("%r not in %s" % (text, path))


def show_lines(path, lines):
    return "\n".join("    %4d  %s" % (n, src_line(path, n)) for n in sorted(lines)) or "    (none)"


def set_diff(what, want, got, path=None):
    """'' when equal, else which elements are missing and unexpected"""
    want, got = set(want), set(got)
    if want == got:
        return ""
    miss, extra = sorted(want - got), sorted(got - want)
    if path:
        return "%s of %s differ\n  expected, missing:\n%s\n  unexpected:\n%s" % (
            what, os.path.basename(path), show_lines(path, miss), show_lines(path, extra))
    return "%s differ\n  missing: %r\n  unexpected: %r" % (what, miss, extra)


# ---- LCOV --------------------------------------------------------------------

NAME_RE = re.compile(r"^(?P<q>.+?)(?:@(?P<line>\d+)(?:#(?P<n>\d+))?)?$")


def base_name(name):
    """'K.f@12#2' -> 'K.f' (the qualname without the uniquifying suffix)"""
    return NAME_RE.match(name).group("q")


def short_name(qualname):
    return qualname.rsplit(".", 1)[-1]


class LcovFile(object):
    def __init__(self, path):
        self.path = path
        self.fns = []                               # [(line, name)] in file order
        self.fnda = {}                              # name -> calls
        self.da = collections.OrderedDict()         # line -> hits
        self.totals = {}                            # FNF, FNH, LF, LH
        self.comments = []                          # "# ..." lines of the record

    def covered(self):
        return {l for l, h in self.da.items() if h}

    def counts(self):
        """(firstlineno, short name) -> sorted FNDA of the functions there"""
        out = {}
        for line, name in self.fns:
            out.setdefault((line, short_name(base_name(name))), []).append(self.fnda[name])
        return {k: sorted(v) for k, v in out.items()}

    def qualnames(self):
        return sorted((line, base_name(name)) for line, name in self.fns)

    def same(self):
        """what must not change between two outputs of one run"""
        return (sorted(self.fns), sorted(self.fnda.items()), sorted(self.da.items()),
                sorted(self.totals.items()))


def parse_lcov(text, what="LCOV"):
    """{path: LcovFile}; checks the structure the spec gives (raises
    AssertionError naming the line)"""
    recs = collections.OrderedDict()
    cur = None
    expect_sf = False
    for no, line in enumerate(text.splitlines(), 1):
        where = "%s line %d: %r" % (what, no, line)
        if line == "end_of_record":
            assert cur is not None, where + ": end_of_record outside a record"
            for k in ("FNF", "FNH", "LF", "LH"):
                assert k in cur.totals, "%s: record of %s lacks %s" % (where, cur.path, k)
            names = [n for _, n in cur.fns]
            assert sorted(cur.fnda) == sorted(names), \
                "%s: FN and FNDA names differ in %s: %s" % (
                    where, cur.path, set_diff("names", names, cur.fnda))
            assert cur.totals["FNF"] == len(cur.fns), (where, cur.totals, len(cur.fns))
            assert cur.totals["FNH"] == sum(1 for n in names if cur.fnda[n] > 0), \
                (where, cur.totals)
            assert cur.totals["LF"] == len(cur.da), (where, cur.totals, len(cur.da))
            assert cur.totals["LH"] == len(cur.covered()), (where, cur.totals)
            check_names(cur, where)
            cur = None
            continue
        if line.startswith("#"):    # a comment: lcov skips lines it does not know
            assert cur is not None and not expect_sf, where + ": comment outside a record"
            cur.comments.append(line)
            continue
        tag, sep, val = line.partition(":")
        assert sep, where + ": not TAG:VALUE"
        if tag == "TN":
            assert cur is None and not expect_sf, where + ": TN inside a record"
            expect_sf = True
            continue
        if tag == "SF":
            assert expect_sf, where + ": SF not right after TN:"
            expect_sf = False
            assert os.path.isabs(val), where + ": not an absolute path"
            assert val not in recs, where + ": second record of the file"
            cur = recs[val] = LcovFile(val)
            continue
        assert cur is not None and not expect_sf, where + ": outside a record"
        if tag == "FN":
            l, _, name = val.partition(",")
            assert l.isdigit() and name, where
            assert name not in [n for _, n in cur.fns], where + ": function name twice"
            cur.fns.append((int(l), name))
        elif tag == "FNDA":
            n, _, name = val.partition(",")
            assert n.isdigit() and name, where
            assert name not in cur.fnda, where + ": FNDA twice"
            cur.fnda[name] = int(n)
        elif tag == "DA":
            l, _, h = val.partition(",")
            assert l.isdigit() and h in ("0", "1"), where + ": DA hits must be 0 or 1"
            assert int(l) not in cur.da, where + ": DA line twice"
            cur.da[int(l)] = int(h)
        elif tag in ("FNF", "FNH", "LF", "LH"):
            assert val.isdigit() and tag not in cur.totals, where
            cur.totals[tag] = int(val)
        else:
            raise AssertionError(where + ": unexpected tag")
    assert cur is None and not expect_sf, "%s: last record not ended" % what
    assert list(recs) == sorted(recs), "%s: files not sorted by path: %r" % (what, list(recs))
    return recs


def check_names(rec, where):
    """a qualname occurring more than once in a file is written
    qualname@firstlineno (then #2, #3 for the same line); others as is"""
    groups = collections.defaultdict(list)
    for line, name in rec.fns:
        groups[base_name(name)].append((line, name))
    for q, items in groups.items():
        if len(items) == 1:
            assert items[0][1] == q, "%s: %s: %r is not a duplicate, written %r" % (
                where, rec.path, q, items[0][1])
            continue
        by_line = collections.defaultdict(list)
        for line, name in items:
            by_line[line].append(name)
        for line, names in by_line.items():
            want = ["%s@%d" % (q, line)] + ["%s@%d#%d" % (q, line, i)
                                             for i in range(2, len(names) + 1)]
            assert sorted(names) == sorted(want), "%s: %s: duplicates of %r at %d named %r, not %r" % (
                where, rec.path, q, line, names, want)


def read_lcov(path):
    with open(str(path), encoding="utf-8") as f:
        return parse_lcov(f.read(), str(path))


# ---- Cobertura ---------------------------------------------------------------

DTD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coverage-04.dtd")


def check_dtd(path):
    """xmllint --dtdvalid: PATH is valid Cobertura (coverage-04.dtd, the
    public DTD, kept here as test data)"""
    xmllint = shutil.which("xmllint")
    if not xmllint:
        pytest.fail("xmllint not found: apt-get install libxml2-utils")
    p = helpers.run([xmllint, "--noout", "--dtdvalid", DTD, str(path)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)


def check_cobertura(path, lcov):
    """parses PATH, checks it against the Cobertura DTD, its totals against
    its classes and its classes against the LCOV records LCOV of the same
    run; returns the root"""
    check_dtd(path)
    root = ET.parse(str(path)).getroot()
    assert root.tag == "coverage", root.tag
    for a in ("line-rate", "lines-valid", "lines-covered", "timestamp", "version"):
        assert a in root.attrib, "<coverage> lacks %s: %r" % (a, root.attrib)
    sources = [s.text for s in root.findall("./sources/source")]
    assert sources and all(s and os.path.isabs(s) for s in sources), sources
    valid = covered = 0
    seen = {}
    packages = root.findall("./packages/package")
    assert packages or not lcov, "no <package>"
    for pkg in packages:
        assert pkg.get("name") is not None, pkg.attrib
        for cls in pkg.findall("./classes/class"):
            fn = cls.get("filename")
            assert fn and cls.get("name") is not None, cls.attrib
            cands = [os.path.normpath(os.path.join(s, fn)) for s in sources]
            hits = [c for c in cands if c in lcov]
            assert hits, "class filename %r (sources %r) is none of the LCOV files %r" % (
                fn, sources, sorted(lcov))
            f = hits[0]
            assert f not in seen, "two classes for %s" % f
            lines = collections.OrderedDict()
            for l in cls.findall("./lines/line"):
                n, h = int(l.get("number")), l.get("hits")
                assert h in ("0", "1"), "%s: line %d hits=%r" % (fn, n, h)
                assert n not in lines, "%s: line %d twice" % (fn, n)
                lines[n] = int(h)
            methods = cls.findall("./methods/method")
            for m in methods:
                assert m.get("name") and m.get("signature") is not None, m.attrib
                assert 0.0 <= float(m.get("line-rate")) <= 1.0, m.attrib
            rec = lcov[f]
            assert dict(lines) == dict(rec.da), "%s: Cobertura lines differ from LCOV DA: %s" % (
                fn, set_diff("(line, hits)", rec.da.items(), lines.items()))
            assert sorted(base_name(m.get("name")) for m in methods) == \
                sorted(base_name(n) for _, n in rec.fns), "%s: methods differ from LCOV FN: %s" % (
                    fn, set_diff("names", [base_name(n) for _, n in rec.fns],
                                 [base_name(m.get("name")) for m in methods]))
            c = sum(1 for h in lines.values() if h)
            if lines:
                assert abs(float(cls.get("line-rate")) - c / len(lines)) < 0.006, \
                    "%s: line-rate %s, %d of %d lines" % (fn, cls.get("line-rate"), c, len(lines))
            valid += len(lines)
            covered += c
            seen[f] = True
    assert sorted(seen) == sorted(lcov), set_diff("Cobertura classes / LCOV files", lcov, seen)
    assert int(root.get("lines-valid")) == valid, (root.attrib, valid)
    assert int(root.get("lines-covered")) == covered, (root.attrib, covered)
    assert valid == sum(r.totals["LF"] for r in lcov.values())
    assert covered == sum(r.totals["LH"] for r in lcov.values())
    if valid:
        assert abs(float(root.get("line-rate")) - covered / valid) < 0.006, root.attrib
    # every package's rate is that of its classes' lines
    for pkg in packages:
        ls = [int(l.get("hits")) for l in pkg.findall("./classes/class/lines/line")]
        if ls:
            assert abs(float(pkg.get("line-rate")) - sum(ls) / len(ls)) < 0.006, pkg.attrib
    return root


# ---- checks against the ground truth -------------------------------------------

MODE_RE = re.compile(r"\bcoverage(?: \(process \d+\))?: functions (and lines|only)\b")


def coverage_modes(text):
    """per process line of the summary (`coverage: functions and lines` or
    `coverage: functions only`, `coverage (process PID): ...` accepted too):
    'lines' or 'functions'"""
    out = []
    for l in text.splitlines():
        m = MODE_RE.search(l)
        if m:
            out.append("lines" if m.group(1) == "and lines" else "functions")
    return out


def check_functions(rec, truth, f, phases=(1, 2), running=()):
    """every code object of F, named as compiled, FNDA = setprofile calls;
    RUNNING: short names whose count may be 0 or 1 (frames running at attach)"""
    # code objects with one file, first line and qualname (two lambdas on
    # one line) are one identity seen from outside: one function, whose
    # calls are theirs together (README, "Coverage maps")
    d = set_diff("functions (first line, qualname)", sorted(set(truth.qualnames(f))),
                 rec.qualnames())
    assert not d, "%s:\n%s" % (f, d)
    want = {k: [sum(v)] for k, v in truth.call_counts(f, phases).items()}
    got = rec.counts()
    diffs = []
    for k in sorted(set(want) | set(got)):
        w, g = want.get(k), got.get(k)
        if (k[1],) in running and w is not None and g is not None and \
                len(w) == len(g) == 1 and w[0] == 0 and g[0] in (0, 1):
            continue
        if w != g:
            diffs.append("  %-16s line %4d: setprofile %s, FNDA %s" % (k[1], k[0], w, g))
    assert not diffs, "%s: call counts differ\n%s" % (f, "\n".join(diffs))


def check_lines_exact(rec, truth, f, phases=(1, 2)):
    d = set_diff("DA lines (lines that can report a line event)", truth.reportable[f],
                 rec.da, f)
    assert not d, d
    d = set_diff("covered lines (DA hit 1) vs settrace", truth.ran_lines(f, phases),
                 rec.covered(), f)
    assert not d, d


FUNC_LINES_NOTE = ("# tracer: functions only (lines were not measured): each line is the "
                   "first line of a function, hit when the function was called")


def check_no_lines(rec):
    """functions only: no line that ran is claimed; the DA lines are the
    functions' first lines, hit when one starting there was called, and
    the record says so (lcov 1.16 drops a record without DA)"""
    assert FUNC_LINES_NOTE in rec.comments, "%s: no note of what its lines are: %r" % (
        rec.path, rec.comments)
    want = {}
    for line, name in rec.fns:
        want[line] = want.get(line, 0) | (rec.fnda[name] > 0)
    assert dict(rec.da) == want, "%s: DA %r, functions' first lines %r" % (
        rec.path, dict(rec.da), want)


# ---- fixtures ------------------------------------------------------------------

@pytest.fixture(scope="session")
def get_cov_truth(tmp_path_factory):
    """get_cov_truth(interp, script, args, files, phase_after) -> cov_truth.Truth"""
    cache = {}
    d = tmp_path_factory.mktemp("cov-truth")

    def get(interp, script, args=(), files=MAIN_FILES, phase_after=None):
        key = (interp.python, script, tuple(args), tuple(files), phase_after)
        if key not in cache:
            env = helpers.target_env({"E2E_TRIGGER": script} if phase_after else None)
            try:
                cache[key] = cov_truth(interp.python, script, args, files, env=env,
                                       phase_after=phase_after, tmpdir=d)
            except Exception as e:  # noqa: BLE001  reported by every test using it
                cache[key] = e
        if isinstance(cache[key], Exception):
            raise cache[key]
        return cache[key]
    return get


def tracer_cmd(tracer, interp, outputs, options=(), args=()):
    cmd = [tracer]
    for o in outputs:
        cmd += ["-o", str(o)]
    return cmd + list(options) + interp.tracer_args + ["--", interp.python] + list(args)


def run_tracer(tracer, interp, outputs, options=(), args=(), cwd=None, env=None):
    cmd = tracer_cmd(tracer, interp, outputs, options, args)
    p = helpers.run(cmd, timeout=TIMEOUT, env=env or helpers.target_env(), cwd=cwd)
    assert p.returncode == 0, helpers.describe(p)
    return p


def result_line(text):
    r = [l for l in text.splitlines() if l.startswith("result: ")]
    assert len(r) == 1, "no single result line in:\n" + text[-3000:]
    return r[0]


class MainRun(object):
    """`tracer -o cov.lcov -o cov.xml -o - -- PYTHON cov_main.py`, once per interpreter"""

    def __init__(self, tracer, interp, d):
        self.dir = d
        self.lcov_path = os.path.join(d, "cov.lcov")
        self.xml_path = os.path.join(d, "cov.xml")
        self.proc = run_tracer(tracer, interp, [self.lcov_path, self.xml_path, "-"],
                               args=[MAIN], cwd=d)
        self.summary = self.proc.stdout
        self.lcov = read_lcov(self.lcov_path)


@pytest.fixture(scope="session")
def get_main_run(tmp_path_factory):
    """get_main_run(tracer, interp) -> MainRun, once per interpreter (a
    failure is reported by every test using it)"""
    top = tmp_path_factory.mktemp("cov-main")
    runs = {}

    def get(tracer, interp):
        if interp.id not in runs:
            d = os.path.join(str(top), interp.id)
            os.makedirs(d)
            try:
                runs[interp.id] = MainRun(tracer, interp, d)
            except AssertionError as e:
                runs[interp.id] = e
        if isinstance(runs[interp.id], AssertionError):
            raise runs[interp.id]
        return runs[interp.id]
    return get


@pytest.fixture
def main_run(tracer, interp, get_main_run):
    return get_main_run(tracer, interp)


# ---- the ground truth and the parsers alone (no tracer) --------------------------

def test_truth_hand_checked(interp, get_cov_truth):
    """cov_truth.py on cov_tiny.py, lines and calls worked out by hand"""
    t = get_cov_truth(interp, TINY, files=[TINY])
    assert t.ran_lines(TINY) == {2, 6, 7, 8, 9, 12, 13, 14, 17, 21, 22, 23}
    assert t.reportable[TINY] == t.ran_lines(TINY) | {18, 24}
    # the module's first line: its first instruction's line before 3.10
    mod = 2 if interp.version < (3, 10) else 1
    assert t.qualnames(TINY) == [(mod, "<module>"), (6, "f"), (12, "g"), (17, "h")]
    # g: started once, resumed twice (sum() runs it to StopIteration)
    assert t.call_counts(TINY) == {(mod, "<module>"): [1], (6, "f"): [2], (12, "g"): [3],
                                   (17, "h"): [0]}


def test_truth_main_workload(interp, get_cov_truth):
    """facts of cov_main.py / cov_helper.py the coverage tests rely on"""
    t = get_cov_truth(interp, MAIN)
    ran, rep = t.ran_lines(MAIN), t.reportable[MAIN]
    body = line_of(MAIN, "b = a + 1")                   # never_called()
    assert body in rep and body not in ran
    assert line_of(MAIN, "total = -total") in rep - ran  # for-else after break
    assert line_of(MAIN, "r = None") in rep - ran        # except not taken
    assert line_of(MAIN, "never_called(1)") not in rep   # `if False:` body
    assert line_of(MAIN, '"pair": [a,') in ran           # multi-line literal
    assert t.ran_lines(MAIN) <= rep and t.ran_lines(HELPER) <= t.reportable[HELPER]
    c = t.call_counts(HELPER)
    assert c[(line_of(HELPER, "def countdown"), "countdown")] == [7]  # 3 + 4 in the thread
    assert c[(line_of(HELPER, "pick = "), "<lambda>")] == [2]
    assert c[(line_of(HELPER, "pick = ") + 1, "<lambda>")] == [1]
    assert c[(line_of(HELPER, 'return "old"') - 1, "variant")] == [0]
    assert c[(line_of(HELPER, "def unused"), "unused")] == [0]
    cm = t.call_counts(MAIN)
    assert cm[(line_of(MAIN, "def never_called"), "never_called")] == [0]
    # a decorated function's first line is its first decorator's
    assert cm[(line_of(MAIN, "@functools.wraps"), "wrapper")] == [3]
    # 3.12+ inlines list/dict/set comprehensions (PEP 709)
    lc = (line_of(MAIN, "squares = [i * i"), "<listcomp>")
    assert (lc in cm) == (interp.version < (3, 12))
    # comprehensions: 6 + 1 resumptions of the genexpr in comprehensions()
    assert cm[(line_of(MAIN, "total = sum(i for"), "<genexpr>")] == [7]
    assert result_line(t.stdout)


SAMPLE_SRC = "def f():\n    return 1\n\n\ng = lambda: 1; h = lambda: 2\nf()\n"
SAMPLE_LCOV = """TN:
SF:{a}
FN:1,<module>
FNDA:1,<module>
FN:1,f
FNDA:1,f
FN:5,<lambda>@5
FNDA:0,<lambda>@5
FN:5,<lambda>@5#2
FNDA:0,<lambda>@5#2
FNF:4
FNH:2
DA:1,1
DA:2,1
DA:5,1
DA:6,1
LF:4
LH:4
end_of_record
TN:
SF:{b}
FN:1,<module>
FNDA:2,<module>
FNF:1
FNH:1
LF:0
LH:0
end_of_record
"""
SAMPLE_XML = """<?xml version="1.0" ?>
<coverage line-rate="1" lines-valid="4" lines-covered="4" timestamp="1" version="x"
 branch-rate="0" branches-covered="0" branches-valid="0" complexity="0">
<sources><source>{d}</source></sources>
<packages><package name="p" line-rate="1" branch-rate="0" complexity="0"><classes>
<class name="a.py" filename="a.py" line-rate="1" branch-rate="0" complexity="0"><methods>
<method name="&lt;module&gt;" signature="" line-rate="1" branch-rate="0"><lines/></method>
<method name="f" signature="" line-rate="1" branch-rate="0"><lines/></method>
<method name="&lt;lambda&gt;" signature="" line-rate="0" branch-rate="0"><lines/></method>
<method name="&lt;lambda&gt;" signature="" line-rate="0" branch-rate="0"><lines/></method>
</methods><lines><line number="1" hits="1"/><line number="2" hits="1"/>
<line number="5" hits="1"/><line number="6" hits="1"/></lines></class>
<class name="b.py" filename="b.py" line-rate="0" branch-rate="0" complexity="0"><methods>
<method name="&lt;module&gt;" signature="" line-rate="0" branch-rate="0"><lines/></method>
</methods><lines/></class>
</classes></package></packages></coverage>
"""


def test_parsers(tmp_path):
    """the LCOV and Cobertura checks on hand-written files, good and bad"""
    a, b = str(tmp_path / "a.py"), str(tmp_path / "b.py")
    for p in (a, b):
        with open(p, "w") as f:
            f.write(SAMPLE_SRC)
    text = SAMPLE_LCOV.format(a=a, b=b)
    recs = parse_lcov(text)
    assert list(recs) == [a, b]
    assert recs[a].counts() == {(1, "<module>"): [1], (1, "f"): [1], (5, "<lambda>"): [0, 0]}
    assert recs[a].covered() == {1, 2, 5, 6} and not recs[b].da
    xml = tmp_path / "c.xml"
    xml.write_text(SAMPLE_XML.format(d=str(tmp_path)))
    check_cobertura(xml, recs)
    bad = {
        "hits>1": text.replace("DA:2,1", "DA:2,7"),
        "LH": text.replace("LH:4", "LH:3"),
        "FNH": text.replace("FNH:2", "FNH:3"),
        "no-suffix-dup": text.replace("<lambda>@5#2", "<lambda>").replace("<lambda>@5", "<lambda>"),
        "needless-suffix": text.replace(",f\n", ",f@1\n"),
        "unsorted": text.replace(a, "/zzz/a.py"),
        "fnda-missing": text.replace("FNDA:1,f\n", ""),
        "no-end": text[:text.rindex("end_of_record")],
        "no-tn": text.replace("TN:\n", "", 1),
    }
    for name, t in sorted(bad.items()):
        try:
            parse_lcov(t, name)
        except AssertionError:
            continue
        raise AssertionError("the LCOV parser accepted a bad file (%s)" % name)
    with pytest.raises(AssertionError):     # not valid against the DTD
        xml.write_text(SAMPLE_XML.format(d=str(tmp_path)).replace(' branch-rate="0"', "", 1))
        check_cobertura(xml, recs)
    with pytest.raises(AssertionError):
        xml.write_text(SAMPLE_XML.format(d=str(tmp_path)).replace('lines-covered="4"',
                                                                  'lines-covered="3"'))
        check_cobertura(xml, recs)
    if not GENHTML:
        print("genhtml not found (Debian package lcov): sample not rendered")
        return
    lc = tmp_path / "s.lcov"
    lc.write_text(text)
    p = helpers.run([GENHTML, "-o", str(tmp_path / "html"), str(lc)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)


# ---- launch mode, every interpreter -------------------------------------------------

def test_lcov_functions(tracer, interp, main_run, get_cov_truth):
    """every code object of the workload's files, FNDA = setprofile calls;
    no other file (stdlib, site-packages, the bootstrap) by default"""
    t = get_cov_truth(interp, MAIN)
    assert result_line(main_run.proc.stdout) == result_line(t.stdout)
    recs = main_run.lcov
    stray = [f for f in recs if f not in MAIN_FILES]
    assert not stray, "files beyond the workload's in the default selection: %r" % stray
    assert sorted(recs) == sorted(MAIN_FILES), set_diff("files", MAIN_FILES, recs)
    for f in MAIN_FILES:
        check_functions(recs[f], t, f)


def test_lcov_lines(tracer, interp, main_run, get_cov_truth):
    """lines where they are measured: DA = the reportable lines, hit 1 =
    settrace's lines, exactly; elsewhere none, and the summary says so"""
    t = get_cov_truth(interp, MAIN)
    lines = expected_mode(interp, main_run.summary)
    for f in MAIN_FILES:
        if lines:
            check_lines_exact(main_run.lcov[f], t, f)
        else:
            check_no_lines(main_run.lcov[f])
    check_summary(main_run.summary, lines)


def test_cobertura(tracer, interp, main_run):
    check_cobertura(main_run.xml_path, main_run.lcov)


def test_genhtml(tracer, interp, main_run, tmp_path):
    if not GENHTML:
        print("skipping: genhtml not found (Debian package lcov)")
        pytest.skip("genhtml not found (Debian package lcov)")
    # lcov 1.16 drops records without DA lines and then fails with "no
    # valid records found in tracefile": functions-only files have their
    # functions' first lines
    assert all(r.da for r in main_run.lcov.values()), "a record without DA in " + \
        main_run.lcov_path
    p = helpers.run(["lcov", "--summary", main_run.lcov_path], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    lf = sum(r.totals["LF"] for r in main_run.lcov.values())
    lh = sum(r.totals["LH"] for r in main_run.lcov.values())
    assert re.search(r"lines\.+: [\d.]+%% \(%d of %d lines?\)" % (lh, lf), p.stdout + p.stderr), \
        helpers.describe(p)
    out = tmp_path / "html"
    p = helpers.run([GENHTML, "-o", str(out), main_run.lcov_path], timeout=60, cwd=str(tmp_path))
    assert p.returncode == 0, helpers.describe(p)
    assert (out / "index.html").exists(), helpers.describe(p)


def test_coverage_py_agrees(tracer, get_interp, get_cov_truth, get_main_run, tmp_path):
    """Debian 3.11: coverage.py 6.5's executed lines are covered, its
    missing lines are 0 or absent (it folds multi-line statements into
    their first line, so only this direction holds)"""
    it = get_interp("debian3.11")
    r = subprocess.run([it.python, "-c", "import coverage"], stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("skipping: coverage.py not importable by %s (Debian python3-coverage)" % it.python)
        pytest.skip("coverage.py missing (python3-coverage)")
    recs = get_main_run(tracer, it).lcov
    data, js = str(tmp_path / "cov.data"), str(tmp_path / "cov.json")
    env = helpers.target_env()
    p = helpers.run([it.python, "-m", "coverage", "run", "--data-file=" + data, MAIN],
                    timeout=TIMEOUT, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, helpers.describe(p)
    p = helpers.run([it.python, "-m", "coverage", "json", "--data-file=" + data, "-o", js],
                    timeout=TIMEOUT, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, helpers.describe(p)
    with open(js) as f:
        doc = json.load(f)
    files = {os.path.normpath(os.path.join(str(tmp_path), k)): v for k, v in doc["files"].items()}
    assert set(MAIN_FILES) <= set(files), sorted(files)
    for f in MAIN_FILES:
        rec = recs[f]
        executed, missing = set(files[f]["executed_lines"]), set(files[f]["missing_lines"])
        assert executed, f
        d = set_diff("coverage.py executed lines not covered", [], executed - rec.covered(), f)
        assert not d, d
        d = set_diff("coverage.py missing lines covered", [], missing & rec.covered(), f)
        assert not d, d


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.10", "pyenv3.12"])
def test_same_line_duplicates(tracer, get_interp, ident, get_cov_truth, tmp_path):
    """two lambdas and two generator expressions, each pair on one line
    with one name: nothing seen from outside tells their calls apart, so
    each pair is one function (named as compiled) with the calls of both"""
    it = get_interp(ident)
    t = get_cov_truth(it, DUPS, files=[DUPS])
    assert t.call_counts(DUPS)[(line_of(DUPS, "pair = "), "<lambda>")] == [1, 3]
    out = tmp_path / "d.lcov"
    p = run_tracer(tracer, it, [out, "-"], args=[DUPS], cwd=str(tmp_path))
    assert result_line(p.stdout) == result_line(t.stdout)
    recs = read_lcov(out)
    assert sorted(recs) == [DUPS], sorted(recs)
    names = [n for _, n in recs[DUPS].fns]
    for q, text in (("<lambda>", "pair = "), ("sums.<locals>.<genexpr>", "return sum(")):
        line = line_of(DUPS, text)
        want = [q]
        assert sorted(n for n in names if base_name(n) == q) == want, \
            "%r at line %d not named %r: %r" % (q, line, want, names)
    check_functions(recs[DUPS], t, DUPS)
    if lines_measured(it):
        check_lines_exact(recs[DUPS], t, DUPS)


# ---- file selection ------------------------------------------------------------------

SELECT = {
    "omit-helper": (["--omit", "*cov_helper*"], [MAIN]),
    "include-helper": (["--include", "*/cov/cov_helper.py"], [HELPER]),
    "include-two-omit-one": (["--include", "*/cov_main.py", "--include", "*/workloads/cov/*",
                              "--omit", "*/cov_main.py"], [HELPER]),
    "include-stdlib": (["--include", "*/json/*"], None),
}


# every case on Debian 3.11; on 3.12 (lines by the bootstrap) two of them
SELECT_RUNS = [("debian3.11", c) for c in sorted(SELECT)] + \
    [("pyenv3.12", "omit-helper"), ("pyenv3.12", "include-stdlib")]


@pytest.mark.parametrize("ident,case", SELECT_RUNS)
def test_include_omit(tracer, get_interp, ident, case, get_cov_truth, get_main_run, tmp_path):
    """the selected files and only them, each with the same record as in
    the run without options (the runs are deterministic)"""
    it = get_interp(ident)
    options, want = SELECT[case]
    t = get_cov_truth(it, MAIN)
    if want is None:    # the json package's files that ran (not measured by default)
        want = [f for f in t.files_run if fnmatch.fnmatch(f, "*/json/*")]
        assert want, sorted(t.files_run)
    out = tmp_path / "sel.lcov"
    p = run_tracer(tracer, it, [out, "-"], options, [MAIN], cwd=str(tmp_path))
    recs = read_lcov(out)
    assert sorted(recs) == sorted(want), "%s: %s" % (" ".join(options), set_diff("files", want, recs))
    default = get_main_run(tracer, it).lcov
    for f, rec in recs.items():
        if f in default:
            assert rec.same() == default[f].same(), "%s: record differs from the default run's" % f
            check_functions(rec, t, f)
        else:
            fnda = {base_name(n): rec.fnda[n] for _, n in rec.fns}
            assert fnda.get("<module>") == 1, "%s: module body ran once: %r" % (f, fnda)
            if lines_measured(it):
                assert rec.covered(), "%s: no line covered" % f
    check_summary(p.stdout, lines_measured(it))


# ---- attach mode ----------------------------------------------------------------------

AttachWorkload = collections.namedtuple("AttachWorkload", "name path")


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.10", "pyenv3.12", "pyenv3.14"])
def test_attach(tracer, get_interp, ident, get_cov_truth, tmp_path):
    """attached while cov_attach.py waits: lines run after the attach are
    covered (settrace of phase 2), nothing that never ran is; FNDA =
    setprofile calls of phase 2; every code object listed"""
    it = get_interp(ident)
    t = get_cov_truth(it, ATTACH, files=ATTACH_FILES, phase_after="wait_trigger")
    info, xml = tmp_path / "cov.info", tmp_path / "cov.xml"
    target, tr = helpers.trace_attached(tracer, it, AttachWorkload("cov_attach", ATTACH),
                                        tmp_path, [info, xml, "-"], TIMEOUT)
    assert result_line(target.out.text()) == result_line(t.stdout)
    recs = read_lcov(info)
    assert sorted(recs) == sorted(ATTACH_FILES), set_diff("files", ATTACH_FILES, recs)
    check_cobertura(xml, recs)
    for f in ATTACH_FILES:
        check_functions(recs[f], t, f, phases=(2,),
                        running=ATTACH_RUNNING if f == ATTACH else ())
    if not lines_measured(it, attach=True):
        for f in ATTACH_FILES:
            check_no_lines(recs[f])
        check_summary(tr.out.text(), False)
        return
    # functions defined before the attach whose body is on their first
    # line (Debian 3.11's USDT `line` does not fire for a frame's first
    # line when it is co_firstlineno); checked separately below
    gap = {c["firstlineno"] for c in t.code[ATTACH] if c["name"] in ("one", "<lambda>")}
    assert len(gap) == 2, t.code[ATTACH]
    for f in ATTACH_FILES:
        rec = recs[f]
        d = set_diff("DA lines", t.reportable[f], rec.da, f)
        assert not d, d
        never = rec.covered() - t.ran_lines(f)
        assert not never, "%s: covered lines that never ran:\n%s" % (f, show_lines(f, never))
        missed = t.ran_lines(f, (2,)) - rec.covered() - (gap if f == ATTACH else set())
        assert not missed, "%s: lines run after the attach not covered:\n%s" % (
            f, show_lines(f, missed))
    missed = gap & t.ran_lines(ATTACH, (2,)) - recs[ATTACH].covered()
    assert not missed, ("%s: first lines of functions created before the attach and called "
                        "after it not covered:\n%s" % (ATTACH, show_lines(ATTACH, missed)))
    check_summary(tr.out.text(), True)


# ---- merging recordings -------------------------------------------------------------

@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.12", "pyenv3.10"])
def test_merge(tracer, get_interp, ident, get_cov_truth, tmp_path):
    """two runs taking other branches, recorded; `tracer report a.trace
    b.trace -o m.lcov`: union of the covered lines, FNDA summed; a single
    recording reported gives the direct output of its run"""
    it = get_interp(ident)
    ta, tb = get_cov_truth(it, MAIN, ["a"]), get_cov_truth(it, MAIN, ["b"])
    d = str(tmp_path)
    outs = {}
    for v in ("a", "b"):
        outs[v] = (os.path.join(d, v + ".trace"), os.path.join(d, v + ".lcov"))
        run_tracer(tracer, it, list(outs[v]), args=[MAIN, v], cwd=d)
    # one recording reported = the direct output
    ra = os.path.join(d, "ra.lcov")
    p = helpers.run([tracer, "report", outs["a"][0], "-o", ra], timeout=TIMEOUT)
    assert p.returncode == 0, helpers.describe(p)
    direct, reported = read_lcov(outs["a"][1]), read_lcov(ra)
    assert sorted(direct) == sorted(reported)
    for f in direct:
        assert direct[f].same() == reported[f].same(), "%s: report of a.trace differs from a.lcov" % f
    # each run has lines the other has not
    assert ta.ran_lines(MAIN) - tb.ran_lines(MAIN) and tb.ran_lines(MAIN) - ta.ran_lines(MAIN)
    m, mx = os.path.join(d, "m.lcov"), os.path.join(d, "m.xml")
    p = helpers.run([tracer, "report", outs["a"][0], outs["b"][0], "-o", m, "-o", mx],
                    timeout=TIMEOUT)
    assert p.returncode == 0, helpers.describe(p)
    recs = read_lcov(m)
    assert sorted(recs) == sorted(MAIN_FILES), set_diff("files", MAIN_FILES, recs)
    check_cobertura(mx, recs)
    for f in MAIN_FILES:
        rec = recs[f]
        d1 = set_diff("functions", ta.qualnames(f), rec.qualnames())
        assert not d1, d1
        ca, cb, got = ta.call_counts(f), tb.call_counts(f), rec.counts()
        diffs = []
        for k in sorted(set(ca) | set(cb) | set(got)):
            a, b, g = ca.get(k, []), cb.get(k, []), got.get(k, [])
            if len(a) == 1 and len(b) == 1:
                ok = g == [a[0] + b[0]]
            else:   # several code objects of one name on one line: the sums
                ok = len(g) == max(len(a), len(b)) and sum(g) == sum(a) + sum(b)
            if not ok:
                diffs.append("  %-16s line %4d: a %s + b %s, merged FNDA %s" % (k[1], k[0], a, b, g))
        assert not diffs, "%s: merged call counts\n%s" % (f, "\n".join(diffs))
        if lines_measured(it):
            d1 = set_diff("DA lines", ta.reportable[f], rec.da, f)
            assert not d1, d1
            d1 = set_diff("merged covered lines vs union of settrace", ta.ran_lines(f) |
                          tb.ran_lines(f), rec.covered(), f)
            assert not d1, d1
        else:
            check_no_lines(rec)


# ---- nothing left behind by the 3.12+ bootstrap ---------------------------------------

USER_SITE = 'import sys\nsys._e2e_user_sitecustomize = "ran"\n'


def listing(root, skip=()):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [x for x in dirnames if os.path.normpath(os.path.join(rel, x)) not in skip]
        out += [os.path.normpath(os.path.join(rel, x)) + "/" for x in dirnames]
        out += [os.path.normpath(os.path.join(rel, x)) for x in filenames]
    return sorted(out)


def view_of(text, root):
    v = [l for l in text.splitlines() if l.startswith("view: ")]
    assert len(v) == 1, text[-3000:]
    return json.loads(v[0][len("view: "):].replace(root, "<ROOT>"))


@pytest.mark.parametrize("variant", ["plain", "user-sitecustomize"])
@pytest.mark.parametrize("ident", ["pyenv3.12", "pyenv3.13", "pyenv3.14"])
def test_nothing_left_behind(tracer, get_interp, ident, variant, tmp_path):
    """a launch measuring lines writes no file beyond what an untraced run
    writes (bytecode allowed here), and the program sees the same sys.path,
    PYTHONPATH, environment, flags, importers and modules (plus at most
    stdlib modules the bootstrap imported); a user's sitecustomize on
    PYTHONPATH still runs"""
    it = get_interp(ident)
    views, lists, results = {}, {}, {}
    for kind in ("untraced", "traced"):
        root = str(tmp_path / kind)
        wl, cwd, site, out = (os.path.join(root, x) for x in ("wl", "cwd", "site", "out"))
        for x in (wl, cwd, site, out):
            os.makedirs(x)
        for f in MAIN_FILES:
            shutil.copy(f, wl)
        env = helpers.target_env()
        del env["PYTHONDONTWRITEBYTECODE"]
        env.pop("PYTHONPATH", None)
        if variant == "user-sitecustomize":
            with open(os.path.join(site, "sitecustomize.py"), "w") as f:
                f.write(USER_SITE)
            env["PYTHONPATH"] = site
        script = os.path.join(wl, "cov_main.py")
        if kind == "untraced":
            p = helpers.run([it.python, script, "view"], timeout=TIMEOUT, env=env, cwd=cwd)
            assert p.returncode == 0, helpers.describe(p)
        else:
            lc = os.path.join(out, "cov.lcov")
            p = run_tracer(tracer, it, [lc, "-"], args=[script, "view"], cwd=cwd, env=env)
            check_summary(p.stdout, True)
            recs = read_lcov(lc)
            want = [os.path.join(wl, "cov_main.py"), os.path.join(wl, "cov_helper.py")]
            if variant == "user-sitecustomize":     # a Python file that ran, not stdlib
                want.append(os.path.join(site, "sitecustomize.py"))
            assert sorted(recs) == sorted(want), set_diff("files", want, recs)
            assert all(recs[f].covered() for f in want[:2]), "no lines measured"
        views[kind] = view_of(p.stdout, root)
        lists[kind] = listing(root, skip=("out",))
        results[kind] = result_line(p.stdout)
    assert results["traced"] == results["untraced"]
    assert lists["traced"] == lists["untraced"], set_diff(
        "files written under the workload, cwd and PYTHONPATH dirs", lists["untraced"],
        lists["traced"])
    u, t = views["untraced"], views["traced"]
    assert "/proc/" not in json.dumps(t) and "memfd" not in json.dumps(t), \
        "the bootstrap's path is visible to the program: %s" % json.dumps(t, indent=1)
    for k in ("argv", "path", "flags", "warnoptions", "xoptions", "env", "pythonpath",
              "meta_path", "path_hooks", "marker", "stdlib"):
        assert u[k] == t[k], "%s differs: untraced %r, traced %r" % (k, u[k], t[k])
    if variant == "user-sitecustomize":
        assert t["marker"] == "ran"
    um, tm = u["modules"], t["modules"]
    missing = sorted(set(um) - set(tm))
    assert not missing, "modules of the untraced run missing: %r" % missing
    # (frozen modules may gain a __file__ when others are imported)
    changed = {m: (um[m], tm[m]) for m in um if um[m] and tm[m] and um[m] != tm[m]}
    assert not changed, "modules loaded from elsewhere (untraced, traced): %r" % changed
    stdlib = t["stdlib"].rstrip("/") + "/"
    extra = {m: f for m, f in tm.items() if m not in um}
    bad = {m: f for m, f in extra.items()
           if m == "sitecustomize" or (f is not None and (not f.startswith(stdlib) or
                                                          "-packages/" in f))}
    assert not bad, "modules beyond the stdlib ones a bootstrap may import: %r" % bad

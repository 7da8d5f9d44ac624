# SPDX-License-Identifier: MIT
"""The .svg flame graph (user/output/svg.c), checked against the Chrome trace
of the same run and the sys.setprofile ground truth, then used in headless
Debian Chromium driven by Playwright (node/svg_check.js): frames and their
widths, tooltip, click to zoom and reset, Ctrl-F search with the matched
share, icicle view, screenshots, no script errors, nothing fetched."""
import bisect
import collections
import json
import os
import re
import shutil
import signal
import time
import xml.etree.ElementTree as ET

import pytest

import helpers
import nesting

TIMEOUT = 120
NODE_DIR = os.path.join(helpers.HERE, "node")
CHROMIUM = "/usr/bin/chromium"
SVG_NS = "{http://www.w3.org/2000/svg}"
MIN_PART = 1000		# frames under total/1000 are not drawn one by one


def browser_or_skip():
    """the node executable, or skip saying what is missing"""
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (apt-get install nodejs)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        pytest.skip("%s/node_modules/playwright-core is missing (npm ci in %s)"
                    % (NODE_DIR, NODE_DIR))
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("%s is missing (apt-get install chromium)" % CHROMIUM)
    return node


# ---- reading the two outputs ----------------------------------------------

class Svg(object):
    """The frames of a flame graph, parsed as XML (so also well-formed)."""

    def __init__(self, path):
        doc = ET.parse(str(path)).getroot()
        assert doc.tag == SVG_NS + "svg", doc.tag
        self.doc = doc
        self.funcs = [(e.get("q"), e.get("p"), int(e.get("l")))
                      for e in doc.find(".//%smetadata[@id='funcs']" % SVG_NS)]
        box = doc.find(".//%sg[@id='frames']" % SVG_NS)
        self.total = int(box.get("data-total"))
        self.frames = []
        for g in box:
            self.frames.append({
                "f": int(g.get("data-f")), "x": int(g.get("data-x")),
                "w": int(g.get("data-w")), "s": int(g.get("data-s")),
                "n": int(g.get("data-n")), "d": int(g.get("data-d")),
                "label": g.get("data-label")})
        self.texts = {t.get("class"): [] for t in doc.iter(SVG_NS + "text")}
        for t in doc.iter(SVG_NS + "text"):
            self.texts[t.get("class")].append("".join(t.itertext()))
        for e in doc.iter():
            for a in ("href", "{http://www.w3.org/1999/xlink}href", "src"):
                assert e.get(a) is None, "external reference: %s" % e.get(a)
        self._paths()

    def _paths(self):
        """each frame's path from the root (tuple of function keys), found
        by geometry: a frame lies within its parent, one row below"""
        rows = collections.defaultdict(list)
        for fr in self.frames:
            rows[fr["d"]].append(fr)
        for d in sorted(rows):
            rows[d].sort(key=lambda fr: fr["x"])
            starts = [fr["x"] for fr in rows[d - 1]] if d else []
            for fr in rows[d]:
                if d == 0:
                    assert fr["f"] == -1, "row 0 is not the root: %r" % fr
                    fr["path"] = ()
                    continue
                i = bisect.bisect_right(starts, fr["x"]) - 1
                assert i >= 0, "frame with no parent: %r" % fr
                p = rows[d - 1][i]
                assert p["x"] <= fr["x"] and fr["x"] + fr["w"] <= p["x"] + p["w"], \
                    "frame %r is not within a frame of the row below (%r)" % (fr, p)
                assert p["f"] != -2, "a frame above a block of small frames: %r" % fr
                fr["parent"] = p
                fr["path"] = p["path"] + ((self.funcs[fr["f"]],) if fr["f"] >= 0 else ("*",))

    def funcs_in(self, files):
        return {k for k in self.funcs if k[1] in files}


def chrome_paths(chrome, norm=lambda k: k):
    """path -> [total ns, calls] from the Chrome trace: calls of a thread
    nest (same ns clock), each call's path is its ancestors' NORM(keys)"""
    tot = collections.defaultdict(lambda: [0, 0])
    calls = []
    for e in chrome.calls:
        start = round(e["ts"] * 1000)
        calls.append(((e["pid"], e["tid"]), start, start + round(e["dur"] * 1000),
                      norm(chrome.key(e))))
    for start, end, path in nesting.nested(calls):
        tot[path][0] += end - start
        tot[path][1] += 1
    return tot


def human(ns):
    """as the flame graph writes times"""
    if ns < 1000:
        return "%d ns" % ns
    v, u = float(ns), 0
    while v >= 1000 and u < 3:
        v /= 1000
        u += 1
    return ("%.0f" if v >= 100 else "%.1f" if v >= 10 else "%.2f") % v + " " + \
        ["ns", "\u00b5s", "ms", "s"][u]


def parse_human(s):
    """'12.3 ms' -> (ns, ns of one unit in the last digit)"""
    m = re.match(r"^([\d.]+) (ns|\u00b5s|ms|s)$", s)
    assert m, "not a time: %r" % s
    scale = {"ns": 1, "\u00b5s": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]
    digits = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
    return float(m.group(1)) * scale, scale * 10 ** -digits


def close_time(text, ns):
    v, ulp = parse_human(text)
    return abs(v - ns) <= ulp * 0.5 + 1e-6 * ns


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


# ---- running ------------------------------------------------------------------

def trace(tracer, python, script, tmp_path, name):
    svg, js = tmp_path / (name + ".svg"), tmp_path / (name + ".json")
    p = helpers.run([tracer, "-o", str(svg), "-o", str(js), "--", python, script],
                    timeout=TIMEOUT, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    return p, Svg(svg), helpers.Chrome(js), svg


def browse(node, tmp_path, svg, hover, zoom, search):
    spec = {"svg": str(svg), "screenshot": str(tmp_path / (svg.stem + ".png")),
            "profile": str(tmp_path / ("chromium-profile-" + svg.stem)),
            "chromium": CHROMIUM, "hover": {"q": hover[0], "p": hover[1]},
            "zoom": {"q": zoom[0], "p": zoom[1]}, "search": search}
    spec_path = tmp_path / (svg.stem + "-spec.json")
    spec_path.write_text(json.dumps(spec))
    p = helpers.run([node, os.path.join(NODE_DIR, "svg_check.js"), str(spec_path)],
                    timeout=TIMEOUT, cwd=NODE_DIR)
    assert p.returncode == 0, helpers.describe(p)
    res = json.loads(p.stdout)
    print("screenshots: %s*.png" % spec["screenshot"][:-4])
    for suffix in ("", "-top", "-hover", "-zoom", "-search"):
        png = spec["screenshot"][:-4] + suffix + ".png"
        with open(png, "rb") as f:
            head = f.read(8)
        assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(png) > 10000, png
    assert not res["errors"], "browser errors: %r" % res["errors"]
    assert res["root_tag"] == "svg" and res["content_type"] == "image/svg+xml", res
    return res


# ---- the checks ---------------------------------------------------------------

def check_against_chrome(svg, chrome, norm=lambda k: k):
    """every drawn frame has its stack's exact total and call count; every
    stack of at least 1/1000 of the total is drawn, the others are counted
    in the note and merged into blocks exactly as said"""
    paths = chrome_paths(chrome, norm)
    root_total = sum(v[0] for p, v in paths.items() if len(p) == 1)
    assert svg.total == root_total, (svg.total, root_total)
    minimum = root_total // MIN_PART
    drawn = {}
    problems = []
    for fr in svg.frames:
        if fr["f"] < 0:
            continue
        drawn[fr["path"]] = fr
        want = paths.get(fr["path"])
        if want is None:
            problems.append("frame of a stack the Chrome trace lacks: %r" % (fr["path"],))
        elif (fr["w"], fr["n"]) != tuple(want):
            problems.append("%r: svg %d ns in %d calls, chrome %d ns in %d calls"
                            % (fr["path"][-1], fr["w"], fr["n"], want[0], want[1]))
    for p, (ns, _) in paths.items():
        big = ns and ns >= minimum
        parent_drawn = len(p) == 1 or p[:-1] in drawn
        if big and parent_drawn and p not in drawn:
            problems.append("stack of %d ns (>= %d) not drawn: %r" % (ns, minimum, p))
    # the small children of each drawn frame: one block, or said as hidden
    small = collections.defaultdict(lambda: [0, 0])
    for p, (ns, _) in paths.items():
        if (len(p) == 1 or p[:-1] in drawn) and p not in drawn:
            small[p[:-1]][0] += ns
            small[p[:-1]][1] += 1
    blocks = {fr["parent"]["path"]: fr for fr in svg.frames if fr["f"] == -2}
    merged = hidden = 0
    for parent, (ns, n) in small.items():
        b = blocks.get(parent)
        if ns >= minimum and ns:
            merged += ns
            if b is None or b["w"] != ns or not b["label"].startswith("%d small frames" % n):
                problems.append("small callees of %r: %d ns in %d frames, block %r"
                                % (parent, ns, n, b))
        else:
            hidden += ns
            if b is not None:
                problems.append("block under the minimum drawn for %r: %r" % (parent, b))
    omitted = len(paths) - len(drawn)
    notes = " ".join(svg.texts.get("note", []))
    if omitted:
        m = re.search(r"(\d+) frames under 0\.1% of the total each are not drawn", notes)
        assert m and int(m.group(1)) == omitted, \
            "the note does not say the %d frames not drawn: %r" % (omitted, notes)
        m = re.search(r"([\d.]+)% of the time is in grey blocks that merge them, "
                      r"([\d.]+)% in ones too small", notes)
        assert m, notes
        if abs(float(m.group(1)) - pct(merged, root_total)) > 0.006 or \
                abs(float(m.group(2)) - pct(hidden, root_total)) > 0.006:
            problems.append("note %r, expected %.2f%% merged, %.2f%% hidden"
                            % (m.group(0), pct(merged, root_total), pct(hidden, root_total)))
    else:
        assert "all frames drawn" in notes, notes
    assert not problems, "\n".join(problems[:20])
    return paths, drawn


def check_header(svg, chrome):
    """counters and warnings of the session are in the picture"""
    info = " ".join(svg.texts.get("info", []))
    warn = svg.texts.get("warn", [])
    assert re.search(r"\b%d calls\b" % chrome.counter("calls"), info), info
    assert re.search(r"\b%d events seen, %d lost\b"
                     % (chrome.counter("events"), chrome.counter("lost")), info), info
    for p in chrome.other.get("processes", []):
        assert "pid %d: python" % p["pid"] in info, info
        for w in p.get("warnings", []):
            assert any(w in t for t in warn), "warning %r not shown: %r" % (w, warn)
    if chrome.counter("lost"):
        assert any("events lost" in t for t in warn), warn


def frame_by_func(res, key):
    """the widest frame of function KEY (q, p, l) in a browser frame list"""
    idx = [i for i, fr in enumerate(res["initial"])
           if fr["f"] >= 0 and tuple(res["funcs"][fr["f"]].values()) == key]
    assert idx, "no frame of %r" % (key,)
    return max(idx, key=lambda i: res["initial"][i]["w_ns"])


def check_browser(res, svg, paths, hover_key, zoom_key, search):
    geo = res["geometry"]
    x0, width, total = geo["x0"], geo["width"], geo["total"]
    frames = res["initial"]
    assert len(frames) == len(svg.frames)
    assert abs(res["svg_width"] - 1200) < 1, res["svg_width"]

    # widths in proportion to the time; labels where they fit
    for fr in frames:
        assert fr["shown"], fr
        want = fr["w_ns"] * width / total
        assert abs(fr["w"] - (want - 0.5 if want > 0.6 else want)) < 0.02, (fr, want)
        assert abs(fr["x"] - (x0 + fr["x_ns"] * width / total)) < 0.02, fr
        assert abs(fr["box"]["w"] - fr["w"]) < 0.5, fr
        if fr["f"] >= 0:
            q, p, l = (res["funcs"][fr["f"]][k] for k in ("q", "p", "l"))
            label = "%s (%s:%d)" % (q, os.path.basename(p), l)
        else:
            label = fr["label"]
        assert fr["text"] == label or (fr["text"].endswith("..") and label.startswith(fr["text"][:-2])) \
            or fr["text"] == "", (fr["text"], label)
        if fr["w"] > 12 * len(label) + 10:
            assert fr["text"] == label, (fr["text"], label)

    # tooltip and details line of the hovered frame
    hi = res["hover_index"]
    assert hi == frame_by_func(res, hover_key)
    h = res["hover"]
    fr = frames[hi]
    tip = h["tip"]
    assert h["tip_visible"] == "visible", h
    assert tip[0] == hover_key[0] and tip[1] == "%s:%d" % hover_key[1:], tip
    m = re.match(r"^total (.+), ([\d.]+)% of all$", tip[2])
    assert m, tip
    chrome_ns = paths[svg.frames[hi]["path"]][0]
    assert close_time(m.group(1), chrome_ns), (tip[2], human(chrome_ns))
    assert abs(float(m.group(2)) - pct(chrome_ns, total)) <= 0.006, (tip[2], chrome_ns)
    m = re.match(r"^self (.+), (\d+) calls?$", tip[3])
    assert m and close_time(m.group(1), fr["s_ns"]) and int(m.group(2)) == fr["n"], tip
    assert h["details"].startswith("%s (%s:%d): total " % hover_key), h["details"]
    assert h["tip_box"]["w"] > 100 and h["tip_box"]["x"] >= 0, h
    assert h["tip_box"]["x"] + h["tip_box"]["w"] <= 1201, h

    # click: the frame spans the whole width, its callees scale, the rest hides
    zi = res["zoom_index"]
    assert zi == frame_by_func(res, zoom_key)
    z = frames[zi]
    zoomed = res["zoomed"]
    zf = zoomed[zi]
    assert zf["shown"] and abs(zf["x"] - x0) < 0.01 and abs(zf["w"] - (width - 0.5)) < 0.01, zf
    assert abs(zf["box"]["w"] - (width - 0.5)) < 1, zf
    assert "off" not in res["reset_class_zoomed"].split()
    inside = 0
    for a, b in zip(frames, zoomed):
        within = a["x_ns"] >= z["x_ns"] and a["x_ns"] + a["w_ns"] <= z["x_ns"] + z["w_ns"]
        if a["d"] < z["d"]:
            covers = a["x_ns"] <= z["x_ns"] and a["x_ns"] + a["w_ns"] >= z["x_ns"] + z["w_ns"]
            assert b["shown"] == covers, (a, b)
            if covers:
                assert abs(b["w"] - (width - 0.5)) < 0.01, b
        elif within:
            inside += 1
            assert b["shown"], b
            want = a["w_ns"] * width / z["w_ns"]
            assert abs(b["w"] - (want - 0.5 if want > 0.6 else want)) < 0.02, (b, want)
            assert abs(b["x"] - (x0 + (a["x_ns"] - z["x_ns"]) * width / z["w_ns"])) < 0.02, b
        else:
            assert not b["shown"], b
    assert inside > 1, "the zoomed frame shows none of its callees"
    assert "off" in res["reset_class_unzoomed"].split()
    for a, b in zip(frames, res["unzoomed"]):
        assert b["shown"] and abs(a["x"] - b["x"]) < 0.01 and abs(a["w"] - b["w"]) < 0.01, (a, b)

    # search: the prompt, the highlighted frames, the share they cover
    assert res["dialog"]["type"] == "prompt", res.get("dialog")
    rx = re.compile(search)
    hits, intervals = 0, []
    for fr, sv in zip(res["searched"], svg.frames):
        if fr["f"] >= 0:
            q, p, l = (res["funcs"][fr["f"]][k] for k in ("q", "p", "l"))
            is_hit = bool(rx.search("%s (%s:%d)" % (q, p, l)))
        else:
            is_hit = False
        assert fr["hit"] == is_hit, fr
        if is_hit:
            hits += 1
            intervals.append((fr["x_ns"], fr["x_ns"] + fr["w_ns"]))
            assert fr["fill"] == "rgb(224, 64, 224)", fr["fill"]
        else:
            assert fr["fill"] != "rgb(224, 64, 224)", fr
    assert hits, "the search %r matched nothing" % search
    covered, end = 0, -1
    for a, b in sorted(intervals):
        a = max(a, end)
        if b > a:
            covered += b - a
            end = b
    m = re.match(r"^Matched: ([\d.]+)% of all \((\d+) frames?; Esc clears\)$", res["matched"])
    assert m, res["matched"]
    assert abs(float(m.group(1)) - pct(covered, total)) <= 0.006, (res["matched"], covered)
    assert int(m.group(2)) == hits
    assert res["matched_after_escape"] == "" and res["hits_after_escape"] == 0

    # icicle view: the root on top, each row one frame height below its parent
    assert res["flip_text"] == "Flame view"
    for a, b in zip(frames, res["icicle"]):
        assert a["y"] == geo["top"] + (geo["rows"] - 1 - a["d"]) * geo["fh"], a
        assert b["y"] == geo["top"] + b["d"] * geo["fh"], b
    return covered


def test_svg_flame_graph(tracer, get_interp, get_truth, tmp_path):
    node = browser_or_skip()
    interp = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    truth = get_truth(interp, wl)
    p, svg, chrome, path = trace(tracer, interp.python, wl.path, tmp_path, "mixed")
    assert truth.stdout in p.stdout, helpers.describe(p)

    # the function table is the ground truth's (what sys.setprofile saw run)
    got = {k for k in svg.funcs_in(wl.files) if k[0] != "<module>"}
    assert got == set(truth.calls), (sorted(set(truth.calls) - got), sorted(got - set(truth.calls)))
    paths, drawn = check_against_chrome(svg, chrome)
    check_header(svg, chrome)
    drawn_funcs = {p[-1] for p in drawn}
    for key in truth.calls:
        biggest = max(ns for p, (ns, _) in paths.items() if p[-1] == key)
        if biggest >= svg.total // MIN_PART * 2:
            assert key in drawn_funcs, "%r (%d ns) is not drawn" % (key, biggest)

    wl_file = wl.files[0]
    main = [k for k in truth.calls if k[0] == "main" and k[1] == wl_file][0]
    run_threads = [k for k in truth.calls if k[0] == "run_threads"][0]
    res = browse(node, tmp_path, path, run_threads, main, "recurse")
    covered = check_browser(res, svg, paths, run_threads, main, "recurse")
    # recursion: the outermost recurse covers all others, once
    outer = min((p for p in drawn if p[-1][0] == "recurse"), key=len)
    assert covered == paths[outer][0], (covered, paths[outer])


WEIRD = r'''
import time


def spin(n):
    t = time.perf_counter()
    while time.perf_counter() - t < n:
        pass


def naïve_名前():
    spin(0.2)


ns = {"spin": spin}
exec(compile("def f():\n    spin(0.2)\n", FILE, "exec"), ns)
f = ns["f"]
f.__code__ = f.__code__.replace(co_qualname=QUAL)


def main():
    for _ in range(3):
        naïve_名前()
        f()


main()
'''
WEIRD_FILE = "/nowhere/a&b <c> \"q\" 'é' ]]> &amp;.py"
WEIRD_QUAL = "Cls.<lambda> & \"x\" 'y' <z> \x01 ünï 😀 ]]>"


def test_svg_escapes_names(tracer, get_interp, tmp_path):
    """names with XML's special characters, control characters and
    non-ASCII text: a well-formed file showing them as they are (a control
    character as U+FFFD), in a browser without error"""
    node = browser_or_skip()
    interp = get_interp("debian3.11")
    script = tmp_path / "weird_names.py"
    text = "FILE = %r\nQUAL = %r\n" % (WEIRD_FILE, WEIRD_QUAL) + WEIRD
    script.write_text(text, encoding="utf-8")
    line = text.splitlines().index("def naïve_名前():") + 1
    p, svg, chrome, path = trace(tracer, interp.python, str(script), tmp_path, "weird")
    shown_q = WEIRD_QUAL.replace("\x01", "\ufffd")
    assert (shown_q, WEIRD_FILE, 1) in svg.funcs, svg.funcs[-5:]
    assert ("naïve_名前", str(script), line) in svg.funcs, svg.funcs[-5:]
    # the same stacks and times as the Chrome trace (which has the control
    # character as it is)
    paths, drawn = check_against_chrome(
        svg, chrome, lambda k: (k[0].replace("\x01", "\ufffd"),) + k[1:])
    drawn_funcs = {p[-1] for p in drawn}
    for key in ((shown_q, WEIRD_FILE, 1), ("naïve_名前", str(script), line),
                ("spin", str(script), line - 6), ("main", str(script), line + 10)):
        assert key in drawn_funcs, key
    hover, zoom = (shown_q, WEIRD_FILE, 1), ("main", str(script), line + 10)
    res = browse(node, tmp_path, path, hover, zoom, "ünï")
    check_browser(res, svg, paths, hover, zoom, "ünï")
    assert "1 frame;" in res["matched"], res["matched"]
    f = res["initial"][res["hover_index"]]
    label = "%s (%s:1)" % (shown_q, os.path.basename(WEIRD_FILE))
    assert f["text"] == label or (f["text"].endswith("..") and len(f["text"]) > 40
                                  and label.startswith(f["text"][:-2])), (f["text"], label)


FLOOD = '''
import time


def f(x):
    return x


end = time.monotonic() + 2.5
while time.monotonic() < end:
    for i in range(1000):
        f(i)
'''


def test_svg_says_lost_events(tracer, get_interp, tmp_path):
    """a session that lost events says so in the picture, with the counts
    (the tracer is stopped for a second so that its ring buffer fills up)"""
    interp = get_interp("debian3.11")
    script = tmp_path / "flood.py"
    script.write_text(FLOOD)
    svg, js = tmp_path / "flood.svg", tmp_path / "flood.json"
    t = helpers.Spawned([tracer, "-b", "1", "-o", str(svg), "-o", str(js), "--",
                         interp.python, str(script)], env=helpers.target_env())
    try:
        assert t.err.wait_for("tracer: tracing", 30), t.describe()
        time.sleep(0.3)
        os.kill(t.pid, signal.SIGSTOP)
        time.sleep(1)
        os.kill(t.pid, signal.SIGCONT)
        assert t.wait(TIMEOUT) == 0, t.describe()
    finally:
        t.kill()
    chrome = helpers.Chrome(js)
    assert chrome.counter("lost"), "no event lost: the test proves nothing"
    s = Svg(svg)
    check_header(s, chrome)
    warn = " ".join(s.texts["warn"])
    assert "WARNING: the trace is incomplete: %d events lost" % chrome.counter("lost") in warn, warn

# SPDX-License-Identifier: MIT
"""Issue 17, findings 1 and 3 (SECURITY.md): nothing runs or is read as root
on a traced user's behalf. Targets run as nobody (hostile.py).

1. The tracer runs the target's own interpreter (the code map of -o X.lcov;
   the opcode numbers of the dispatch strategy). A user who owns that
   interpreter's standard library has its code run then: here a copied
   interpreter whose encodings/__init__.py (imported at every start) is
   the hostile user's file, that logs who it runs as -- uid, groups,
   capabilities, no_new_privs -- and tries to create a file in /root. Every
   run of it must be the target's user, with nothing more.
2. A code object whose co_filename names a root-only file: the code map
   must read it with the target's rights (it cannot), never publish what
   root alone could read, and say that it could not read it.
And the program runs where the target is: its mount namespace."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

import helpers
import hostile

TIMEOUT = 120

# prepended to the copy's encodings/__init__.py: at that point of the start
# only builtins and posix are there (no io, no codecs)
PLANT = r'''
def _hostile_mark():
    import posix as p
    def read(path):
        fd = p.open(path, p.O_RDONLY)
        try:
            return p.read(fd, 1 << 16)
        finally:
            p.close(fd)
    try:
        st = read(b"/proc/self/status")
        f = dict(l.split(b":", 1) for l in st.split(b"\n") if b":" in l)
        cmd = read(b"/proc/self/cmdline")
        who = b"helper" if b"\0-I\0-S\0-c\0" in cmd else b"target"
        line = b"%s uid=%d euid=%d groups=%s CapEff=%s CapPrm=%s CapAmb=%s NoNewPrivs=%s\n" % (
            who, p.getuid(), p.geteuid(), b",".join(b"%d" % g for g in p.getgroups()) or b"-",
            f[b"CapEff"].strip(), f[b"CapPrm"].strip(), f[b"CapAmb"].strip(),
            f[b"NoNewPrivs"].strip())
        fd = p.open(LOG, p.O_WRONLY | p.O_APPEND | p.O_CREAT, 0o666)
        p.write(fd, line)
        p.close(fd)
    except Exception as e:
        pass
    try:
        p.close(p.open(ROOT_FILE, p.O_WRONLY | p.O_CREAT, 0o644))
    except OSError:
        pass
_hostile_mark()
del _hostile_mark
'''

# the target: a loop of calls until the trigger file appears
TARGET = r'''
import os, sys, time
def work(n):
    return sum(range(n))
sys.stderr.write("ready\n"); sys.stderr.flush()
end = time.time() + 60
while not os.path.exists(sys.argv[1]) and time.time() < end:
    work(100)
    time.sleep(0.01)
'''


def _copied_python(nobody_dir, python, libdir, stdlib, link):
    """NOBODY_DIR/py: a copy of PYTHON (bin/), its standard library linked
    from STDLIB (LINK: "symlink" or "hardlink", for a tree nobody cannot
    reach), and encodings/__init__.py the hostile user's file. ->
    (interpreter, log, root file)"""
    ver = os.path.basename(stdlib)                       # python3.X
    top = os.path.join(nobody_dir, "py")
    os.makedirs(os.path.join(top, "bin"))
    os.makedirs(os.path.join(top, "lib"))
    exe = os.path.join(top, "bin", ver)
    shutil.copy2(python, exe)
    lib = os.path.join(top, "lib", ver)
    subprocess.check_call(["cp", "-rs" if link == "symlink" else "-al", stdlib, lib])
    shutil.rmtree(os.path.join(lib, "encodings", "__pycache__"), ignore_errors=True)
    init = os.path.join(lib, "encodings", "__init__.py")
    with open(os.path.join(stdlib, "encodings", "__init__.py")) as f:
        real = f.read()
    os.unlink(init)
    log = os.path.join(nobody_dir, "who-ran.log")
    root_file = "/root/hostile-%s" % uuid.uuid4().hex
    plant = PLANT.replace("LOG", repr(log.encode())).replace("ROOT_FILE",
                                                             repr(root_file.encode()))
    hostile.write_as_nobody(init, plant + real)
    if libdir:                                           # a shared libpython next to it
        for name in os.listdir(libdir):
            if name.startswith("libpython"):
                os.link(os.path.join(libdir, name), os.path.join(top, "lib", name))
    # the tree is the hostile user's: its directories (it could replace any
    # file), the copy, the planted file; never a linked file (a hard link's
    # owner is the real file's)
    for d, dirs, files in os.walk(top):
        for n in dirs:
            os.lchown(os.path.join(d, n), hostile.NOBODY, hostile.NOBODY)
    for path in (top, exe):
        os.chown(path, hostile.NOBODY, hostile.NOBODY)
    return exe, log, root_file


def _runpath_to_origin(exe, libdir):
    """pyenv's binaries find libpython by an absolute RUNPATH (under /root,
    which nobody cannot reach): point the copy's at $ORIGIN/../lib, in
    place (the string is shorter; the rest is NULs)"""
    with open(exe, "rb") as f:
        data = f.read()
    old = libdir.encode() + b"\0"
    new = b"$ORIGIN/../lib\0"
    assert data.count(old) == 1, "no RUNPATH %s in %s" % (libdir, exe)
    data = data.replace(old, new + b"\0" * (len(old) - len(new)))
    with open(exe, "wb") as f:
        f.write(data)


def _runs(log):
    """the lines of the log: (who, fields)"""
    out = []
    if os.path.exists(log):
        with open(log) as f:
            for line in f:
                who, rest = line.split(" ", 1)
                out.append((who, dict(kv.split("=", 1) for kv in rest.split())))
    return out


def _check_runs(log, root_file, groups="-"):
    runs = _runs(log)
    if os.path.exists(root_file):
        os.unlink(root_file)
        raise AssertionError("the planted code wrote %s" % root_file)
    helper = [r for who, r in runs if who == "helper"]
    # the tracer did run the interpreter (else this test proves nothing)
    assert helper, "no run of the copied interpreter by the tracer was logged: %r" % runs
    for who, r in runs:
        assert r["uid"] == r["euid"] == str(hostile.NOBODY), (who, r)
        assert r["groups"] == groups, (who, r)
        assert int(r["CapEff"], 16) == int(r["CapPrm"], 16) == int(r["CapAmb"], 16) == 0, \
            (who, r)
    for r in helper:
        assert r["NoNewPrivs"] == "1", r


def _trace(tracer, target, args, trigger, exits):
    """attach to TARGET with ARGS; EXITS: the target ends (on TRIGGER) while
    traced, so that its code map is made after it is gone; else -d 2 ends
    the session while it runs"""
    tr = helpers.start_tracer_attached(tracer, target.pid, [], list(args) +
                                       ([] if exits else ["-d", "2"]), timeout=60)
    try:
        if exits:
            time.sleep(0.5)                              # calls while traced
            open(trigger, "w").close()
            assert target.wait(TIMEOUT) == 0, target.describe()
        assert tr.wait(TIMEOUT) == 0, tr.describe()
        return tr
    finally:
        tr.kill()


def _start(python, nobody_dir, setpriv=None):
    script = os.path.join(nobody_dir, "target.py")
    hostile.write_as_nobody(script, TARGET)
    trigger = os.path.join(nobody_dir, "trigger")
    if setpriv:
        t = helpers.Spawned(setpriv + [python, script, trigger],
                            env=helpers.target_env({"HOME": nobody_dir}), cwd=nobody_dir)
    else:
        t = hostile.HostileTarget(python, script, nobody_dir, args=[trigger])
    if t.err.wait_for("ready", 30) is None:
        t.kill()
        raise helpers.Failed("target never became ready\n" + t.describe())
    return t, trigger


@pytest.mark.parametrize("exits", [True, False], ids=["code-map-after-exit", "alive"])
def test_code_map_runs_as_the_target(tracer, get_interp, nobody_dir, exits):
    """Debian's python3.11 copied (USDT): -o X.lcov builds the code map with
    the copy, whose encodings/__init__.py is nobody's"""
    it = get_interp("debian3.11")
    exe, log, root_file = _copied_python(nobody_dir, it.python, None,
                                         "/usr/lib/python3.%d" % it.version[1], "symlink")
    target, trigger = _start(exe, nobody_dir)
    try:
        lcov = os.path.join(nobody_dir, "x.lcov")
        _trace(tracer, target, ["-o", lcov], trigger, exits)
        with open(lcov) as f:
            text = f.read()
        # the code map was made (its functions are in the LCOV)
        assert re.search(r"^FN:\d+,work$", text, re.M), text
        _check_runs(log, root_file)
    finally:
        target.kill()


def test_opcode_query_runs_as_the_target(tracer, get_interp, nobody_dir):
    """pyenv 3.12 copied (dispatch): the tracer asks the copy for its opcode
    numbers; the target has a supplementary group, which that run keeps"""
    it = get_interp("pyenv3.12")
    home = os.path.dirname(os.path.dirname(it.python))
    libdir = os.path.join(home, "lib")
    exe, log, root_file = _copied_python(nobody_dir, it.python, libdir,
                                         os.path.join(libdir, "python3.12"), "hardlink")
    _runpath_to_origin(exe, libdir)
    setpriv = ["setpriv", "--reuid=%d" % hostile.NOBODY, "--regid=%d" % hostile.NOBODY,
               "--groups=4242"]
    target, trigger = _start(exe, nobody_dir, setpriv)
    try:
        out = os.path.join(nobody_dir, "x.json")
        tr = _trace(tracer, target, ["-o", out], trigger, False)
        assert "strategy dispatch" in tr.err.text(), tr.describe()
        _check_runs(log, root_file, groups="4242")
    finally:
        target.kill()


# the target's own source text, compiled under the root-only file's name:
# other names than the file has, so a name of the file in an output can only
# come from root reading it
SECRET_TARGET = r'''
import os, sys, time
src = "def visible_NAME():\n    return 1\n\n\ndef visible2_NAME():\n    return 2\n"
ns = {}
exec(compile(src, sys.argv[2], "exec"), ns)
sys.stderr.write("ready\n"); sys.stderr.flush()
end = time.time() + 60
while not os.path.exists(sys.argv[1]) and time.time() < end:
    ns["visible_NAME"](); ns["visible2_NAME"]()
    time.sleep(0.01)
'''


def test_root_only_source_is_not_read(tracer, get_interp, nobody_dir):
    it = get_interp("debian3.11")
    tag = uuid.uuid4().hex[:12]
    secret = "/root/secret_%s.py" % tag
    with open(secret, "w") as f:
        f.write("def root_only_%s():\n    return 1\n\n\ndef root_only2_%s():\n    return 2\n"
                % (tag, tag))
    os.chmod(secret, 0o600)
    try:
        script = os.path.join(nobody_dir, "target.py")
        hostile.write_as_nobody(script, SECRET_TARGET.replace("NAME", tag))
        trigger = os.path.join(nobody_dir, "trigger")
        target = hostile.HostileTarget(it.python, script, nobody_dir, args=[trigger, secret])
        target.wait_ready()
        lcov = os.path.join(nobody_dir, "x.lcov")
        xml = os.path.join(nobody_dir, "x.xml")
        html = os.path.join(nobody_dir, "x.html")     # shows the files' text
        try:
            tr = _trace(tracer, target, ["-o", lcov, "-o", xml, "-o", html, "-o", "-"],
                        trigger, True)
        finally:
            target.kill()
        outputs = {}
        for path in (lcov, xml, html):
            with open(path) as f:
                outputs[path] = f.read()
        outputs["summary"] = tr.out.text()
        for name, text in outputs.items():
            assert "root_only" not in text, (name, text)
        # the tool said it could not read it, on stderr and in the summary
        said = re.compile(r"not measured: %s: cannot be read with the process's rights "
                          r"\(uid %d\)" % (re.escape(secret), hostile.NOBODY))
        assert said.search(tr.err.text()), tr.describe()
        assert said.search(outputs["summary"]), outputs["summary"]
    finally:
        os.unlink(secret)


def test_code_map_in_the_target_mount_namespace(tracer, get_interp, nobody_dir):
    """a target whose script exists only in its own mount namespace (a
    tmpfs mounted there): its code map runs in that namespace, as it"""
    it = get_interp("debian3.11")
    mnt = os.path.join(nobody_dir, "mnt")
    os.mkdir(mnt)
    src = os.path.join(nobody_dir, "target.py")
    hostile.write_as_nobody(src, TARGET)
    trigger = os.path.join(nobody_dir, "trigger")
    script = os.path.join(mnt, "only_here.py")
    inner = ("mount -t tmpfs -o mode=755 none %s && cp %s %s && exec %s %s %s %s"
             % (mnt, src, script, " ".join(hostile.SETPRIV), it.python, script, trigger))
    t = helpers.Spawned(["unshare", "-m", "--propagation", "private", "sh", "-c", inner],
                        env=helpers.target_env({"HOME": nobody_dir}), cwd=nobody_dir)
    try:
        if t.err.wait_for("ready", 30) is None:
            raise helpers.Failed("target never became ready\n" + t.describe())
        assert not os.path.exists(script)                # not in ours
        lcov = os.path.join(nobody_dir, "x.lcov")
        _trace(tracer, t, ["-o", lcov], trigger, False)
        with open(lcov) as f:
            text = f.read()
        assert "SF:%s\n" % script in text, text
        assert re.search(r"^FN:\d+,work$", text, re.M), text
    finally:
        t.kill()


# started as root, it becomes nobody once traced (a server's worker), then
# names the root-only file
DROPPING_TARGET = r'''
import os, sys, time
sys.stderr.write("ready\n"); sys.stderr.flush()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
src = "def visible_NAME():\n    return 1\n"
ns = {}
exec(compile(src, sys.argv[2], "exec"), ns)
sys.stderr.write("dropped\n"); sys.stderr.flush()
while True:
    ns["visible_NAME"]()
    time.sleep(0.01)
'''


def test_target_that_dropped_root_is_read_as_it_is(tracer, get_interp, nobody_dir):
    """found as root, nobody at the end: its code map runs as nobody (the
    file it named after it dropped root is not read as root)"""
    it = get_interp("debian3.11")
    tag = uuid.uuid4().hex[:12]
    secret = "/root/secret_%s.py" % tag
    with open(secret, "w") as f:
        f.write("def root_only_%s():\n    return 1\n" % tag)
    os.chmod(secret, 0o600)
    script = os.path.join(nobody_dir, "target.py")
    hostile.write_as_nobody(script, DROPPING_TARGET.replace("NAME", tag))
    go = os.path.join(nobody_dir, "go")
    t = helpers.Spawned([it.python, script, go, secret], env=helpers.target_env(),
                        cwd=nobody_dir)
    tr = None
    try:
        if t.err.wait_for("ready", 30) is None:
            raise helpers.Failed("target never became ready\n" + t.describe())
        lcov = os.path.join(nobody_dir, "x.lcov")
        tr = helpers.start_tracer_attached(tracer, t.pid, [lcov], ["-d", "4"], timeout=60)
        open(go, "w").close()
        assert t.err.wait_for("dropped", 30) is not None, t.describe()
        assert tr.wait(TIMEOUT) == 0, tr.describe()
        with open(lcov) as f:
            text = f.read()
        assert "root_only" not in text, text
        assert "not measured: %s: cannot be read with the process's rights (uid %d)" % (
            secret, hostile.NOBODY) in tr.err.text(), tr.describe()
    finally:
        t.kill()
        if tr:
            tr.kill()
        os.unlink(secret)


@pytest.mark.parametrize("link_owner", [hostile.NOBODY, 0], ids=["nobodys-link", "roots-link"])
def test_planted_debug_link_is_not_followed(tracer, get_interp, nobody_dir, link_owner):
    """pyenv 3.12 copied, its libpython the hostile user's, without DWARF
    (strip --strip-debug) and with a .gnu_debuglink; the right debug file
    is root's, in a root-owned directory, and the .debug/ next to the copy
    is a link to that directory: planted by nobody, it is not followed (the
    tracer says so, and finds exit_unwind from the code instead of the
    DWARF); the same link owned by root is followed (the label from DWARF):
    the control that shows the refusal comes from the link's owner alone"""
    it = get_interp("pyenv3.12")
    home = os.path.dirname(os.path.dirname(it.python))
    libdir = os.path.join(home, "lib")
    exe, _, _ = _copied_python(nobody_dir, it.python, libdir,
                               os.path.join(libdir, "python3.12"), "hardlink")
    _runpath_to_origin(exe, libdir)
    top_lib = os.path.join(nobody_dir, "py", "lib")
    lib = os.path.join(top_lib, "libpython3.12.so.1.0")
    real = os.path.join(libdir, "libpython3.12.so.1.0")
    debug_dir = tempfile.mkdtemp(prefix="tracer-root-debug-", dir="/tmp")
    try:
        os.chmod(debug_dir, 0o755)
        debug = os.path.join(debug_dir, "libpython3.12.so.1.0.debug")
        os.unlink(lib)
        subprocess.check_call(["objcopy", "--only-keep-debug", real, debug])
        os.chmod(debug, 0o644)
        subprocess.check_call(["strip", "--strip-debug", "-o", lib, real])
        subprocess.check_call(["objcopy", "--add-gnu-debuglink=" + debug, lib])
        os.chown(lib, hostile.NOBODY, hostile.NOBODY)
        link = os.path.join(top_lib, ".debug")
        os.symlink(debug_dir, link)
        os.lchown(link, link_owner, link_owner)
        target, trigger = _start(exe, nobody_dir)
        try:
            p = helpers.run([tracer, "-p", str(target.pid), "--strategy", "dispatch",
                             "-d", "1"], timeout=TIMEOUT)
        finally:
            target.kill()
        root = "/proc/%d/root" % target.pid
        said = "separate debug information not used: %s%s/libpython3.12.so.1.0.debug is " \
               "reached through the symlink %s%s, owned by uid %d" % (root, link, root, link,
                                                                     hostile.NOBODY)
        if link_owner:
            assert said in p.stderr, helpers.describe(p)
            assert p.stderr.count("separate debug information not used") == 1, \
                helpers.describe(p)
            # without the DWARF, exit_unwind comes from the code (unwind_site.c)
            assert "exit_unwind, where frames that exceptions leave are seen, was found by " \
                "code analysis" in p.stderr, helpers.describe(p)
            assert p.returncode == 0 and "strategy dispatch" in p.stderr, helpers.describe(p)
        else:
            assert "separate debug information not used" not in p.stderr, helpers.describe(p)
            assert "found by code analysis" not in p.stderr, helpers.describe(p)
            assert p.returncode == 0 and "strategy dispatch" in p.stderr, helpers.describe(p)
    finally:
        hostile.remove_dir(debug_dir)

#!/usr/bin/env python3
"""The .deb end to end, on this machine (root only; run by CTest as an integration test):

  1. cpack -G DEB builds the package from the build tree;
  2. dpkg -i installs it into the real system; the files are where the FHS says, the
     config is a conffile, and `systemd-analyze verify` accepts the installed unit;
  3. the installed /usr/bin/paddockd runs as the installed unit would run it (its ExecStart,
     its CapabilityBoundingSet and NoNewPrivileges through setpriv, ProtectSystem=full /
     ProtectHome / PrivateTmp as read-only and empty mounts, in a private mount and
     network namespace) with a temp control socket, runtime and data dir, and a test-owned
     NOTIFY_SOCKET: READY=1, the installed `paddockctl list` shows every bundled plugin
     serving, bash completion offers them, ExecReload gives RELOADING=1 then READY=1, and
     SIGTERM gives STOPPING=1 and exit 0;
  4. dpkg --purge removes every file again.

Exit 77 (CTest: skipped) when not root, without dpkg, or when a "paddock" package is
already installed (an operator's: not ours to replace or purge)."""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def run(argv, timeout=60, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def unit_settings(path):
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, _, v = line.partition("=")
                settings[k.strip()] = v.strip()
    return settings


class Notify:
    """The test's $NOTIFY_SOCKET."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.path = path
        self.seen = []

    def wait_for(self, line, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                msg = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.seen.append(msg)
            if line in msg.split("\n"):
                return msg
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--bundled", required=True)
    ap.add_argument("--version", required=True)
    a = ap.parse_args()
    bundled = sorted(p for p in a.bundled.split(",") if p)
    if os.geteuid() != 0:
        print("skipped: installing a .deb needs root")
        return SKIP
    if not shutil.which("dpkg") or not shutil.which("cpack"):
        print("skipped: dpkg or cpack missing")
        return SKIP
    if run(["dpkg-query", "-W", "-f=${Status}", "paddock"]).stdout.startswith("install ok"):
        print("skipped: a paddock package is already installed on this machine")
        return SKIP
    local_links = {p: os.readlink(p) for p in glob.glob("/usr/local/bin/paddock*")
                   if os.path.islink(p)}

    work = tempfile.mkdtemp(prefix="paddock-deb-", dir="/run")
    installed = False
    host = None
    try:
        t0 = time.monotonic()
        r = run(["cpack", "-G", "DEB", "-B", work, "--config",
                 os.path.join(a.build_dir, "CPackConfig.cmake")], timeout=180)
        debs = glob.glob(os.path.join(work, "paddock_*.deb"))
        if not check(r.returncode == 0 and len(debs) == 1,
                     f"cpack failed: {r.stdout[-2000:]} {r.stderr[-2000:]}"):
            return 1
        deb = debs[0]
        print(f"cpack: {os.path.basename(deb)}, {os.path.getsize(deb) >> 20} MiB, "
              f"{time.monotonic() - t0:.1f} s", flush=True)
        check(os.path.basename(deb).startswith(f"paddock_{a.version}_"),
              f"package file name {deb} lacks version {a.version}")
        info = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"]).stdout
        check("Package: paddock" in info and "libgrpc++" in info,
              f"control fields (shlibdeps) look wrong: {info}")

        r = run(["dpkg", "-i", deb], timeout=120)
        installed = True
        if not check(r.returncode == 0, f"dpkg -i: {r.stderr}"):
            return 1
        files = set(run(["dpkg", "-L", "paddock"]).stdout.split("\n"))
        expected = ["/usr/bin/paddockd", "/usr/bin/paddockctl",
                    "/lib/systemd/system/paddockd.service", "/etc/paddock/paddockd.json",
                    "/usr/share/bash-completion/completions/paddockctl",
                    "/usr/share/man/man1/paddockctl.1", "/usr/share/man/man8/paddockd.8"]
        expected += [f"/usr/lib/paddock/plugins/{p}.sig" for p in bundled]
        expected += [f"/usr/lib/paddock/plugins/{p}" for p in bundled]
        for f in expected:
            check(f in files and os.path.exists(f), f"{f} not installed")
        for f in ["/usr/bin/paddockd", "/usr/bin/paddockctl"] + expected[-len(bundled):]:
            check(os.access(f, os.X_OK), f"{f} is not executable")
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "paddock"]).stdout
        check("/etc/paddock/paddockd.json" in conffiles, "the config is not a conffile")
        check(oct(os.stat("/etc/paddock/paddockd.json").st_mode & 0o777) == "0o600",
              "the installed config is not root-only (0600)")
        for p in bundled:  # Byte-identical to the build (no strip: signatures stay valid).
            with open(f"/usr/lib/paddock/plugins/{p}", "rb") as x, \
                    open(os.path.join(a.build_dir, "lib/paddock/plugins", p), "rb") as y:
                check(x.read() == y.read(), f"installed plugin {p} differs from the build")
        config = json.load(open("/etc/paddock/paddockd.json"))
        check(config["plugin_dirs"] == ["/usr/lib/paddock/plugins"],
              f"installed config plugin_dirs: {config['plugin_dirs']}")
        check(run(["/usr/bin/paddockd", "--check-config", "--config",
                   "/etc/paddock/paddockd.json"]).returncode == 0, "installed config refused")
        if shutil.which("systemd-analyze"):
            r = run(["systemd-analyze", "verify", "/lib/systemd/system/paddockd.service"])
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 0 and not out, f"systemd-analyze verify (installed): {out}")

        # Run it the way the unit does.
        unit = unit_settings("/lib/systemd/system/paddockd.service")
        argv = unit["ExecStart"].split() + [
            "--socket", f"{work}/paddockd.sock", "--runtime-dir", f"{work}/run",
            "--data-dir", f"{work}/data"]
        caps = ",".join("+" + c[len("CAP_"):].lower() for c in unit["CapabilityBoundingSet"].split())
        setpriv = ["setpriv", f"--bounding-set=-all,{caps}"]
        if unit.get("NoNewPrivileges") == "yes":
            setpriv.append("--no-new-privs")
        check(unit.get("ProtectSystem") == "full" and unit.get("ProtectHome") == "yes" and
              unit.get("PrivateTmp") == "yes", "the unit's sandboxing changed: update this test")
        script = (
            "set -e; ip link set lo up; "
            # ProtectSystem=full: /usr, /boot, /efi, /etc read-only.
            "for d in /usr /boot /efi /etc; do [ -d $d ] || continue; "
            "mount --bind $d $d; mount -o remount,bind,ro $d; done; "
            # ProtectHome=yes: empty and inaccessible. PrivateTmp=yes: a private /tmp.
            "for d in /home /root /run/user; do [ -d $d ] && "
            "mount -t tmpfs -o ro,mode=000 tmpfs $d || true; done; "
            "mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /var/tmp; "
            + (f"umask {unit['UMask']}; " if "UMask" in unit else "")
            + 'exec "$@"')
        notify = Notify(f"{work}/notify.sock")
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        env.pop("JOURNAL_STREAM", None)
        log = open(f"{work}/paddockd.log", "w")
        host = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "--", "sh", "-c",
             script, "sh"] + setpriv + ["--"] + argv,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        ready = notify.wait_for("READY=1", 40)
        if not check(ready is not None, f"no READY=1 (got {notify.seen})"):
            return 1
        check(f"STATUS={len(bundled)} plugins serving" in ready.split("\n"),
              f"READY status: {ready!r}")
        ctl = ["/usr/bin/paddockctl", "--socket", f"{work}/paddockd.sock"]
        r = run(ctl + ["list"])
        print(r.stdout, flush=True)
        check(r.returncode == 0, f"paddockctl list: {r.stderr}")
        listed = json.loads(run(ctl + ["--json", "list"]).stdout).get("plugins", [])
        states = {p["name"]: p.get("state") for p in listed}
        for p in bundled:
            check(states.get(p) == "STATE_SERVING", f"{p} is not serving: {states.get(p)}")
        for p in listed:
            check(p.get("binary_path", "/usr/lib/paddock/plugins/").startswith(
                "/usr/lib/paddock/plugins/"), f"{p['name']} runs from {p.get('binary_path')}")
        r = run(ctl + ["call", "hello", "Greet", '{"name":"deb"}'])
        check(r.returncode == 0 and "deb" in r.stdout, f"call hello Greet: {r.stdout} {r.stderr}")

        # bash completion from the package, against the running host.
        comp = ("source /usr/share/bash-completion/completions/paddockctl; "
                'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _paddockctl; '
                'printf "%s\\n" "${COMPREPLY[@]}"')
        r = run(["bash", "-c", comp, "bash", "paddockctl", "st"])
        check(r.stdout.split() == ["status", "start", "stop"], f"completion of 'st': {r.stdout!r}")
        r = run(["bash", "-c", comp, "bash", "/usr/bin/paddockctl", "--socket",
                 f"{work}/paddockd.sock", "status", ""])
        check(sorted(r.stdout.split()) == bundled, f"completion of plugin names: {r.stdout!r}")

        # systemctl reload = the unit's ExecReload with $MAINPID.
        reload = unit["ExecReload"].replace("$MAINPID", str(host.pid)).split()
        check(run(reload).returncode == 0, f"{reload} failed")
        check(notify.wait_for("RELOADING=1", 10) is not None, "no RELOADING=1 after ExecReload")
        check(notify.wait_for("READY=1", 30) is not None, "no READY=1 after the reload")

        host.send_signal(signal.SIGTERM)
        check(notify.wait_for("STOPPING=1", 10) is not None, "no STOPPING=1 after SIGTERM")
        try:
            check(host.wait(30) == 0, f"paddockd exit code {host.returncode}")
        except subprocess.TimeoutExpired:
            check(False, "paddockd did not exit within 30 s of SIGTERM")
        host = None
    finally:
        if host is not None:
            os.killpg(host.pid, signal.SIGKILL)
            host.wait()
        if failures and os.path.exists(f"{work}/paddockd.log"):
            print("--- paddockd log ---\n" + open(f"{work}/paddockd.log").read()[-6000:])
        if installed:
            r = run(["dpkg", "--purge", "paddock"], timeout=120)
            check(r.returncode == 0, f"dpkg --purge: {r.stderr}")
            for f in ["/usr/bin/paddockd", "/usr/bin/paddockctl", "/etc/paddock/paddockd.json",
                      "/lib/systemd/system/paddockd.service", "/usr/lib/paddock/plugins"]:
                check(not os.path.exists(f), f"{f} left behind by dpkg --purge")
        for p, target in local_links.items():
            check(os.path.islink(p) and os.readlink(p) == target, f"{p} was changed")
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

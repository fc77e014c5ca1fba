#!/usr/bin/env python3
"""Checks packaging/systemd/paddockd.service.in: `systemd-analyze verify` accepts it (no
warning either), and its settings agree with paddockd: Type=notify, the reload signal
paddockd documents, the directories its default config uses, a stop timeout longer than
its shutdown grace, a capability bounding set holding every capability the default
config grants a plugin, and none of the seccomp-based options its comments rule out."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def parse_unit(text):
    """Returns {section: {key: [values...]}} (systemd: later assignments add or reset)."""
    out, section = {}, None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + " " + lines[i].strip()
            i += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def seconds(value):
    units = {"ms": 0.001, "s": 1, "min": 60}
    for u, f in sorted(units.items(), key=lambda x: -len(x[0])):
        if value.endswith(u):
            return float(value[: -len(u)]) * f
    return float(value)


def render(template, bindir, config_file):
    return template.replace("@PADDOCK_BINDIR@", bindir).replace("@PADDOCK_CONFIG_FILE@",
                                                                  config_file)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--paddockd", required=True)
    ap.add_argument("--paddockctl", required=True)
    ap.add_argument("--install-prefix", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--confdir", required=True)
    a = ap.parse_args()
    with open(os.path.join(a.source_dir, "packaging/systemd/paddockd.service.in")) as f:
        template = f.read()
    config_file = os.path.join(a.confdir, "paddockd.json")
    unit = parse_unit(render(template, os.path.join(a.install_prefix, "bin"), config_file))
    svc = unit.get("Service", {})

    def one(key):
        v = svc.get(key, [])
        check(len(v) == 1, f"[Service] {key}: expected one value, got {v}")
        return v[-1] if v else ""

    check(one("Type") == "notify", "Type must be notify (paddockd sends READY=1)")
    check(one("NotifyAccess") == "main", "NotifyAccess=main: only paddockd itself notifies")
    check(one("ExecStart") == f"{a.install_prefix}/bin/paddockd --config {config_file}",
          f"ExecStart {one('ExecStart')} is not the installed paddockd on the installed config")
    reload = one("ExecReload")
    help_text = subprocess.run([a.paddockd, "--help"], capture_output=True, text=True).stdout
    reload_line = [l for l in help_text.splitlines() if "hot reload" in l]
    check(reload_line and "SIGUSR2" in reload_line[0], "paddockd --help: no SIGUSR2 reload line")
    check(reload.split()[1:] == ["-USR2", "$MAINPID"] and reload.split()[0].endswith("/kill"),
          f"ExecReload {reload} does not send SIGUSR2 to $MAINPID")
    check(one("Delegate") == "yes", "Delegate=yes: paddockd owns its cgroup subtree")
    check(one("KillMode") == "mixed", "KillMode=mixed: SIGTERM to paddockd only, it stops plugins")
    check(one("WatchdogSec") != "", "WatchdogSec: paddockd pings the watchdog")

    default = json.loads(subprocess.run([a.paddockd, "--print-default-config"],
                                        capture_output=True, text=True).stdout)
    check(os.path.dirname(default["control_socket"]) == "/run/" + one("RuntimeDirectory"),
          "RuntimeDirectory does not hold the default control socket")
    check(default["runtime_dir"].startswith("/run/" + one("RuntimeDirectory") + "/"),
          "RuntimeDirectory does not hold the default runtime_dir")
    check(default["data_dir"] == "/var/lib/" + one("StateDirectory"),
          "StateDirectory is not the default data_dir")
    check(a.confdir == "/etc/" + one("ConfigurationDirectory"),
          "ConfigurationDirectory is not where the config is installed")
    grace_s = (default.get("shutdown_grace_ms") or 3000) / 1000
    check(seconds(one("TimeoutStopSec")) >= grace_s + 5,
          "TimeoutStopSec leaves paddockd no time to stop its plugins")

    caps = set(one("CapabilityBoundingSet").split())
    granted = set()
    for settings in default.get("plugins", {}).values():
        granted |= set(settings.get("grant", {}).get("capabilities", []))
    check(granted <= caps, f"CapabilityBoundingSet lacks granted capabilities {granted - caps}")
    for needed in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"):
        check(needed in caps, f"CapabilityBoundingSet lacks {needed} (namespaces, uids, caps)")
    check(one("NoNewPrivileges") == "yes", "NoNewPrivileges=yes (see the unit's comment)")
    check(one("ProtectSystem") in ("full", "yes"),
          "ProtectSystem must be full (strict would make /run and /var/lib read-only)")
    # Options that install a seccomp filter every plugin would inherit (see the comment).
    for key in ("SystemCallFilter", "ProtectHostname", "ProtectClock", "ProtectKernelModules",
                "ProtectKernelLogs", "LockPersonality", "MemoryDenyWriteExecute",
                "SystemCallArchitectures", "RestrictNamespaces", "RestrictRealtime",
                "ProtectControlGroups", "ProtectKernelTunables", "PrivateDevices",
                "PrivateNetwork", "RestrictAddressFamilies", "User", "DynamicUser"):
        check(key not in svc, f"{key} is set, but the unit's comment explains why it cannot be")
    check(unit.get("Install", {}).get("WantedBy") == ["multi-user.target"],
          "[Install] WantedBy=multi-user.target")

    # systemd's own parser: verify a copy whose ExecStart names the built paddockd (the
    # installed one need not exist here). Any output is a warning about the unit.
    analyze = shutil.which("systemd-analyze")
    if check(analyze is not None, "systemd-analyze not found (package systemd)"):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "paddockd.service")
            with open(path, "w") as f:
                f.write(render(template, os.path.dirname(a.paddockd), config_file))
            r = subprocess.run([analyze, "verify", "--man=no", path], capture_output=True,
                               text=True, timeout=60)
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 0 and not out, f"systemd-analyze verify: rc {r.returncode}: {out}")

    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

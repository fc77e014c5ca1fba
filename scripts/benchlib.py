# Shared pieces of scripts/bench-lifecycle and scripts/bench-sandbox: build, run a private
# paddockd in a temp dir (own control socket, plugin dir, cgroup subtree), drive it with
# paddockctl, parse its log, and summarize latencies. Standard library only.
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PADDOCK_BUILD_DIR", os.path.join(ROOT, "build"))


def build(*targets):
    """Builds the given ninja targets with scripts/build (configures once)."""
    subprocess.run([os.path.join(ROOT, "scripts", "build"), *targets], check=True,
                   stdout=subprocess.DEVNULL)


def path(rel):
    return os.path.join(BUILD, rel)


def percentile(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    i = min(len(v) - 1, int(round(q * (len(v) - 1))))
    return v[i]


def summary(values, unit):
    return "n=%d p50 %.3f %s  p99 %.3f %s  mean %.3f %s" % (
        len(values), percentile(values, 0.5), unit, percentile(values, 0.99), unit,
        sum(values) / max(1, len(values)), unit)


_UNITS = {"h": 3600e3, "m": 60e3, "s": 1e3, "ms": 1.0, "us": 1e-3, "ns": 1e-6}


def duration_ms(text):
    """Milliseconds in an absl::FormatDuration string such as "12.5ms" or "1m2.5s"."""
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ms|us|ns|h|m|s)", text):
        total += float(number) * _UNITS[unit]
    return total


# paddockd's own line (plugin output is prefixed "[name gN]" and is not matched).
SERVING = re.compile(r"^\S+ info (\S+) g(\d+) serving \(pid \d+, (\S+) after spawn\)$", re.M)


class Host:
    """A paddockd under benchmark, in its own temp dir, stopped by stop() or on exit."""

    count = 0

    def __init__(self, unconfined=False, config=None):
        Host.count += 1
        self.dir = tempfile.mkdtemp(prefix="paddock-bench-")
        os.chmod(self.dir, 0o755)
        self.plugin_dir = os.path.join(self.dir, "plugins")
        os.makedirs(self.plugin_dir)
        self.socket = os.path.join(self.dir, "ctl.sock")
        self.log_path = os.path.join(self.dir, "paddockd.log")
        cfg = {
            "plugin_dirs": [self.plugin_dir],
            "control_socket": self.socket,
            "runtime_dir": os.path.join(self.dir, "run"),
            "data_dir": os.path.join(self.dir, "data"),
            "sandbox": {"unconfined": unconfined,
                        "cgroup_name": "paddock-bench-%d-%d" % (os.getpid(), Host.count)},
        }
        cfg.update(config or {})
        self.config_path = os.path.join(self.dir, "paddockd.json")
        with open(self.config_path, "w") as f:
            json.dump(cfg, f)
        self.proc = None

    def add_plugin(self, binary, name):
        shutil.copy(binary, os.path.join(self.plugin_dir, name))

    def start(self):
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([path("bin/paddockd"), "--config", self.config_path],
                                     stdout=log, stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit("paddockd exited:\n" + self.log())
            if self.ctl("list")[0] == 0:
                return
            time.sleep(0.05)
        sys.exit("paddockd did not answer:\n" + self.log())

    def ctl(self, *args):
        r = subprocess.run([path("bin/paddockctl"), "--socket", self.socket, *args],
                           capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    def plugins(self):
        rc, out, _ = self.ctl("--json", "list")
        return json.loads(out).get("plugins", []) if rc == 0 else []

    def wait_serving(self, names, timeout=120):
        want = set(names)
        deadline = time.time() + timeout
        while time.time() < deadline:
            serving = {p["name"] for p in self.plugins() if p.get("state") == "STATE_SERVING"}
            if want <= serving:
                return
            time.sleep(0.1)
        sys.exit("plugins did not all serve: %s\n%s" % (sorted(want - serving), self.log()[-4000:]))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def serving_times_ms(self, name):
        """{generation: spawn->serving ms} from the host's "serving ... after spawn" lines."""
        out = {}
        for m in SERVING.finditer(self.log()):
            n, gen, dur = m.group(1), m.group(2), m.group(3)
            if n == name:
                out[int(gen)] = duration_ms(dur)
        return out

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def memfd_kib(self):
        """KiB held in the sealed memfds of the plugin images (shmem, not part of RSS)."""
        total = 0
        fd_dir = "/proc/%d/fd" % self.proc.pid
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)).startswith("/memfd:paddock"):
                    total += os.stat(os.path.join(fd_dir, fd)).st_size
            except OSError:
                pass
        return total // 1024

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def machine():
    """One line about the machine the numbers come from."""
    load = open("/proc/loadavg").read().split()[:3]
    cpus = os.cpu_count()
    kernel = os.uname().release
    return "machine: %d CPUs, kernel %s, load average %s" % (cpus, kernel, " ".join(load))

#!/usr/bin/env python3
"""Checks deploy/k8s/*.yaml against the binaries: the fields that must agree with what
paddockd, paddockctl, the bundled plugins and the package actually use (paths, ports,
protocols, binary names, signals), and that the ConfigMap's host config is one the real
paddockd accepts (paddockd --check-config). Exit 0 when every check passes; each failure
is printed with the file and field."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def load_manifests(k8s_dir):
    docs = []
    for name in sorted(os.listdir(k8s_dir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(k8s_dir, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((name, doc))
    return docs


def one(docs, kind):
    found = [d for _, d in docs if d.get("kind") == kind]
    if not check(len(found) == 1, f"exactly one {kind} expected, found {len(found)}"):
        sys.exit(report())
    return found[0]


def report():
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    return 1 if failures else 0


def host_port(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--paddockd", required=True)
    ap.add_argument("--paddockctl", required=True)
    ap.add_argument("--install-prefix", required=True)  # The package's prefix, /usr.
    ap.add_argument("--plugin-dir", required=True)  # Relative to the prefix.
    ap.add_argument("--confdir", required=True)
    ap.add_argument("--bundled", required=True)  # Comma-separated plugin names.
    a = ap.parse_args()
    src = a.source_dir
    bindir = os.path.join(a.install_prefix, "bin")
    plugin_dir = os.path.join(a.install_prefix, a.plugin_dir)
    bundled = sorted(p for p in a.bundled.split(",") if p)

    docs = load_manifests(os.path.join(src, "deploy/k8s"))
    ns = one(docs, "Namespace")["metadata"]["name"]
    for fname, d in docs:
        if d["kind"] not in ("Namespace", "Kustomization"):
            check(d["metadata"].get("namespace") == ns, f"{fname}: {d['kind']} not in namespace {ns}")
    with open(os.path.join(src, "deploy/k8s/kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    yaml_files = sorted(n for n in os.listdir(os.path.join(src, "deploy/k8s"))
                        if n.endswith(".yaml") and n != "kustomization.yaml")
    check(sorted(kust["resources"]) == yaml_files,
          f"kustomization.yaml resources {kust['resources']} != {yaml_files}")

    cm = one(docs, "ConfigMap")
    ds = one(docs, "DaemonSet")
    svc = one(docs, "Service")
    pod = ds["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    check("paddockd" in containers, "daemonset: no container named paddockd")
    c = containers["paddockd"]
    argv = c.get("command", []) + c.get("args", [])

    # --- The binary and its config file --------------------------------------------------
    paddockd_path = os.path.join(bindir, "paddockd")
    paddockctl_path = os.path.join(bindir, "paddockctl")
    check(os.path.basename(a.paddockd) == "paddockd" and os.path.basename(a.paddockctl) == "paddockctl",
          "the built binaries are not named paddockd/paddockctl")
    check(paddockd_path in argv, f"daemonset: {paddockd_path} not in the container's command {argv}")
    i = argv.index(paddockd_path) if paddockd_path in argv else 0
    check(argv[i + 1:i + 2] == ["--config"], f"daemonset: paddockd is not given --config: {argv}")
    config_file = argv[i + 2] if len(argv) > i + 2 else ""
    check(config_file == os.path.join(a.confdir, "paddockd.json"),
          f"daemonset: --config {config_file} is not the package's {a.confdir}/paddockd.json")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    cfg_mount = mounts.get(os.path.dirname(config_file))
    if check(cfg_mount is not None, f"daemonset: nothing mounted at {os.path.dirname(config_file)}"):
        check("subPath" not in cfg_mount,
              "daemonset: the config is mounted with subPath (ConfigMap updates never reach it)")
        vol = volumes.get(cfg_mount["name"], {})
        check(vol.get("configMap", {}).get("name") == cm["metadata"]["name"],
              f"daemonset: {cfg_mount['name']} is not the ConfigMap {cm['metadata']['name']}")
    check(os.path.basename(config_file) in cm["data"],
          f"configmap: no key {os.path.basename(config_file)}")

    # The config must be one paddockd accepts (strict schema, ranges, names).
    config_json = cm["data"][os.path.basename(config_file)]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as tmp:
        tmp.write(config_json)
        tmp.flush()
        r = subprocess.run([a.paddockd, "--check-config", "--config", tmp.name],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"configmap: paddockd --check-config refuses it: {r.stderr.strip()}")
    config = json.loads(config_json)

    # --- Paths ----------------------------------------------------------------------------
    r = subprocess.run([a.paddockd, "--print-default-config"], capture_output=True, text=True,
                       timeout=30)
    default = json.loads(r.stdout)
    ctl_help = subprocess.run([a.paddockctl, "--help"], capture_output=True, text=True,
                              timeout=30).stdout
    socket = config["control_socket"]
    check(socket == default["control_socket"],
          f"configmap: control_socket {socket} != paddockd's default {default['control_socket']}")
    check(socket in ctl_help, f"configmap: control_socket {socket} is not paddockctl's default")
    check(config["plugin_dirs"] == [plugin_dir],
          f"configmap: plugin_dirs {config['plugin_dirs']} != the package's [{plugin_dir}]")
    check(default["plugin_dirs"] == ["$ORIGIN/../lib/paddock/plugins"] and
          os.path.normpath(os.path.join(bindir, "../lib/paddock/plugins")) == plugin_dir,
          "paddockd's default plugin dir does not resolve to the package's plugin dir")

    def mounted(path, what):
        covering = [m for m in mounts if path == m or path.startswith(m.rstrip("/") + "/")]
        check(covering, f"daemonset: {what} {path} is on no volume (lost or read-only)")
        for m in covering:
            check(not mounts[m].get("readOnly"), f"daemonset: {what} {path} is mounted read-only")

    mounted(os.path.dirname(socket), "control socket dir")
    mounted(config["runtime_dir"], "runtime_dir")
    mounted(config["data_dir"], "data_dir")
    data_vol = volumes[mounts[config["data_dir"]]["name"]] if config["data_dir"] in mounts else {}
    check("hostPath" in data_vol, "daemonset: data_dir is not a hostPath (plugin data lost on restart)")
    for probe in ("readinessProbe", "livenessProbe"):
        cmd = c.get(probe, {}).get("exec", {}).get("command", [])
        check(cmd[:1] == [paddockctl_path], f"daemonset: {probe} does not run {paddockctl_path}: {cmd}")
        check("--socket" in cmd and cmd[cmd.index("--socket") + 1] == socket,
              f"daemonset: {probe} does not use the control socket {socket}")

    # --- Plugins, ports and protocols -----------------------------------------------------
    check(sorted(config["plugins"]) == bundled,
          f"configmap: plugin sections {sorted(config['plugins'])} != bundled plugins {bundled}")
    container_ports = {(p["containerPort"], p.get("protocol", "TCP")) for p in c.get("ports", [])}
    gossip = None
    for name, settings in config["plugins"].items():
        with open(os.path.join(src, "plugins", name, "manifest.json")) as f:
            manifest = json.load(f)
        kinds = {s["name"]: s["kind"] for s in manifest.get("sandbox", {}).get("sockets", [])}
        defaults = {s["name"]: s["default_address"]
                    for s in manifest.get("sandbox", {}).get("sockets", [])}
        for sock, address in settings.get("sockets", {}).items():
            if not check(sock in kinds, f"configmap: {name} has no socket named {sock}"):
                continue
            host, port = host_port(address)
            dflt = default["plugins"].get(name, {}).get("sockets", {}).get(sock, defaults[sock])
            check(port == host_port(dflt)[1],
                  f"configmap: {name}.{sock} port {port} != the default config's {dflt}")
            proto = {"UDP": "UDP", "TCP": "TCP"}.get(kinds[sock], kinds[sock])
            check((port, proto) in container_ports,
                  f"daemonset: no containerPort {port}/{proto} for {name}.{sock}")
            if name == "gcounter":
                gossip = (port, proto, host)
    # Metrics (the host config's "metrics" section, once paddockd has one): an address
    # reachable from outside the node (not loopback) must be declared as a container port.
    metrics = config.get("metrics")
    if isinstance(metrics, dict):
        for key, address in metrics.items():
            if isinstance(address, str) and ":" in address and address.rsplit(":", 1)[1].isdigit():
                host, port = host_port(address)
                if host not in ("127.0.0.1", "::1", "localhost"):
                    check((port, "TCP") in container_ports,
                          f"daemonset: no containerPort {port}/TCP for metrics.{key} {address}")
    else:
        print("note: the ConfigMap's config has no metrics section; no metrics port to check")

    # --- gcounter peers through the headless Service --------------------------------------
    check(gossip is not None, "configmap: gcounter has no gossip socket")
    if gossip:
        port, proto, host = gossip
        check(host not in ("127.0.0.1", "::1", "localhost"),
              f"configmap: gcounter gossip bound to {host}: peers on other nodes cannot reach it")
        check(svc["spec"].get("clusterIP") == "None", "service: not headless (clusterIP: None)")
        check(svc["spec"].get("publishNotReadyAddresses") is True,
              "service: publishNotReadyAddresses must be true (starting nodes need peers)")
        sel = svc["spec"]["selector"]
        labels = ds["spec"]["template"]["metadata"]["labels"]
        check(all(labels.get(k) == v for k, v in sel.items()),
              f"service: selector {sel} does not select the DaemonSet's pods {labels}")
        ports = [(p["port"], p.get("targetPort", p["port"]), p.get("protocol", "TCP"))
                 for p in svc["spec"]["ports"]]
        check((port, port, proto) in ports, f"service: no {port}/{proto} port for gossip: {ports}")
        dns = config["plugins"]["gcounter"]["config"].get("dns", {})
        want = f"{svc['metadata']['name']}.{ns}.svc.cluster.local"
        check(dns.get("name") == want, f"configmap: gcounter dns.name {dns.get('name')} != {want}")
        check(dns.get("port") == port, f"configmap: gcounter dns.port {dns.get('port')} != {port}")
        check(":" in dns.get("resolver", ""), "configmap: gcounter dns.resolver is not ip:port")
        key_file = config["plugins"]["gcounter"]["config"].get("cluster_key_file", "")
        check(key_file.startswith("/data/"),
              f"configmap: gcounter cluster_key_file {key_file} is not in its data dir (/data)")
        init = " ".join(" ".join(ic.get("command", [])) for ic in pod.get("initContainers", []))
        host_key = os.path.join(config["data_dir"], "gcounter", key_file[len("/data/"):])
        check(host_key in init, f"daemonset: no init container puts the key at {host_key}")

    # --- Privileges and signals -----------------------------------------------------------
    check(pod.get("hostNetwork") is True, "daemonset: hostNetwork (http-sampler, gossip) missing")
    check(pod.get("hostPID") in (None, False), "daemonset: hostPID must stay off")
    check(c.get("securityContext", {}).get("privileged") is True,
          "daemonset: paddockd needs a privileged container (namespaces, mounts, cgroups)")
    for name, settings in config["plugins"].items():
        if settings.get("grant", {}).get("network_host"):
            check(pod.get("hostNetwork") is True, f"{name} is granted network_host without hostNetwork")
    grace_ms = config.get("shutdown_grace_ms") or 3000
    check(pod.get("terminationGracePeriodSeconds", 30) * 1000 >= grace_ms + 5000,
          "daemonset: terminationGracePeriodSeconds leaves paddockd no time to stop its plugins")
    help_text = subprocess.run([a.paddockd, "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    check("SIGUSR2" in help_text and "hot reload" in help_text,
          "paddockd --help does not name SIGUSR2 as its reload signal")
    # paddockd is PID 1: SIGTERM (pod stop) and SIGUSR2 (reload) reach it directly, and on
    # cgroup v2 it must be the only task of the pod's cgroup to delegate controllers.
    check(argv[:1] == [paddockd_path], f"daemonset: PID 1 must be {paddockd_path}: {argv}")
    with open(os.path.join(src, "deploy/k8s/Dockerfile")) as f:
        dockerfile = f.read()
    check("paddock_" in dockerfile and f'ENTRYPOINT ["{paddockd_path}"]' in dockerfile,
          "Dockerfile: the image must install the paddock .deb and run paddockd as PID 1")
    images = {x["image"] for x in pod["containers"] + pod.get("initContainers", [])}
    check(len(images) == 1, f"daemonset: containers use different images {images}")
    return report()


if __name__ == "__main__":
    sys.exit(main())

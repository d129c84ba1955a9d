#!/usr/bin/python3
"""Raw Jupyter client that traces when the Deno kernel publishes a cell's outputs.

Usage (Debian's /usr/bin/python3 with python3-jupyter-client, python3-zmq):

    /usr/bin/python3 tools/jupyter_trace.py [--runs N] [--kinds md,table,...]
        [--display raw|lib] [--load K] [--grace MS] [--json FILE]

It starts `deno jupyter --kernel` (the Deno next to the repository,
tools/node_modules/.bin/deno, or --deno) with a temporary kernelspec, then
executes N cells of each kind, one at a time, with its own signed shell
(DEALER) and iopub (SUB) sockets. For every execute_request it records, by
parent msg_id and in arrival order, the iopub messages (`status busy`,
`execute_input`, `display_data`, `execute_result`, `stream`, `status idle`)
and the shell `execute_reply`, and keeps reading for --grace ms after idle.
An output that arrives after its cell's `idle` is one that nbclient,
nbconvert and JupyterLab never show: they stop listening to a cell at idle.
Each output carries its cell's number (`trace-<n>`), so an output published
under the wrong parent is counted too. `--load K` keeps K cores busy with
spinning child processes meanwhile.

Cell kinds: `md` (a Markdown display), `table` (a table like 01_derivation's
adaptive-softmax-check), `big` (an SVG + Vega-Lite bundle of ~200 KB),
`value` (a bare last-line value: execute_result), `log` (console.log:
stream). `--display raw` displays with `Deno.jupyter.display(bundle,
{ raw: true })`; `--display lib` with lib/notebook's `display()`.

What the kernel does (Deno 2.9.6, read from the JavaScript kernel embedded in
the binary, `ext:cli/40_jupyter.js`, and cli/ops/jupyter.rs): the ZMTP kernel
runs in JavaScript on the main thread; user code runs in a REPL isolate on a
second thread. `Deno.jupyter.display`/`broadcast` call the synchronous op
`op_jupyter_broadcast`, and `console.log` the op `op_print`; both only push
the message onto an unbounded mpsc channel, so awaiting `display()` resolves
once the message is queued, not once it is sent. On the main thread an
independent task (`iopubDrainer`) takes messages off that channel, signs them
(async HMAC), stamps them with the parent header current at that moment, and
writes them to every iopub subscriber in turn. `handleExecute`, meanwhile,
awaits the evaluation (and, for a last-line value, `broadcastResult`, which
queues the `execute_result` the same way), then signs and sends
`execute_reply` and `status idle` itself. Nothing orders the drainer's
writes before the idle: whichever of the two async chains gets the event loop
first wins. Measured orders and counts: docs/jupyter.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import zmq
from jupyter_client import KernelManager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["md", "table", "big", "value", "log"]
TAG = re.compile(r"trace-(\d+)")
OUTPUT_TYPES = {"display_data", "execute_result", "stream", "error"}


def lib_import() -> str:
    return f'import {{ chart, display, md, table }} from "file://{ROOT}/lib/notebook/mod.ts";\n'


def cell_code(kind: str, n: int, mode: str) -> str:
    """The source of cell number n of a kind; its output carries trace-<n>."""
    tag = f"trace-{n}"
    if kind == "value":
        return f'const v{n} = {{ tag: "{tag}" }};\nv{n}'
    if kind == "log":
        return f'console.log("{tag}");'
    if kind == "md":
        bundle = f'{{ "text/markdown": "**{tag}**", "text/plain": "{tag}" }}'
        lib = f'await display(md("**{tag}**"));'
    elif kind == "table":
        rows = (
            f'[{{ quantity: "L^q_soft {tag}", lib: 0.0667420, hand: 0.200226 / 3 }},'
            ' { quantity: "mean τ_bj", lib: 0.2066667, hand: 1.24 / 6 },'
            ' { quantity: "temperature of the positive", lib: 0.1, hand: 0.1 }]'
        )
        lib = f'await display(table({rows}, {{ digits: 6, caption: "{tag}" }}));'
        bundle = (
            f'{{ "text/markdown": "{tag}\\n\\n| a |\\n| ---: |\\n| 1 |",'
            f' "text/html": "<table><caption>{tag}</caption></table>",'
            f' "text/plain": "{tag}" }}'
        )
    elif kind == "big":
        # ~200 KB: an SVG and a Vega-Lite spec with inline data, like a chart.
        setup = (
            f'const svg{n} = "<svg xmlns=\\"http://www.w3.org/2000/svg\\">" +'
            f' "<circle cx=\\"1\\" cy=\\"2\\" r=\\"3\\"/>".repeat(4000) +'
            f' "<text>{tag}</text></svg>";\n'
            f"const spec{n} = {{ mark: \"line\", data: {{ values: Array.from("
            f"{{ length: 2000 }}, (_, i) => ({{ x: i, y: Math.sin(i) }})) }} }};\n"
        )
        b = (
            f'{{ "image/svg+xml": svg{n}, "application/vnd.vegalite.v5+json": spec{n},'
            f' "text/plain": "{tag}" }}'
        )
        bundle = b
        lib = setup + f"await display(chart({b}));"
        return (lib_import() + lib) if mode == "lib" else (
            setup + f"await Deno.jupyter.display({b}, {{ raw: true }});"
        )
    else:
        raise ValueError(kind)
    if mode == "lib":
        return lib_import() + lib
    return f"await Deno.jupyter.display({bundle}, {{ raw: true }});"


def deno_path(arg: str | None) -> str:
    if arg:
        return arg
    local = os.path.join(ROOT, "tools", "node_modules", ".bin", "deno")
    return local if os.path.exists(local) else (shutil.which("deno") or "deno")


class Kernel:
    """The Deno kernel with our own shell (DEALER) and iopub (SUB) sockets."""

    def __init__(self, deno: str, cwd: str) -> None:
        self.tmp = tempfile.mkdtemp(prefix="jupyter_trace_")
        spec_dir = os.path.join(self.tmp, "kernels", "deno")
        os.makedirs(spec_dir)
        with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
            json.dump(
                {
                    "argv": [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
                    "display_name": "Deno",
                    "language": "typescript",
                },
                f,
            )
        os.environ["JUPYTER_PATH"] = self.tmp
        os.environ["NO_COLOR"] = "1"
        self.km = KernelManager(kernel_name="deno")
        self.km.start_kernel(cwd=cwd)
        info = self.km.get_connection_info()
        self.session = self.km.session
        self.ctx = zmq.Context()
        url = lambda port: f"tcp://{info['ip']}:{info[port]}"  # noqa: E731
        self.shell = self.ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.connect(url("shell_port"))
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.linger = 0
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(url("iopub_port"))
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        # The kernel publishes to a subscriber only once it has read its
        # subscription: retry kernel_info until its status reaches iopub.
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = self.session.send(self.shell, "kernel_info_request", {})
            until = time.monotonic() + 1.0
            while time.monotonic() < until:
                for _, kind, m, _ in self.poll(100):
                    if kind == "iopub" and m["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                        self.drain(300)
                        return
        raise RuntimeError("the kernel did not answer kernel_info on iopub")

    def poll(self, ms: int):
        out = []
        for sock, _ in self.poller.poll(ms):
            while True:
                try:
                    frames = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                at = time.perf_counter()
                _, parts = self.session.feed_identities(frames)
                m = self.session.deserialize(parts)
                out.append((sock, "iopub" if sock is self.iopub else "shell", m, at))
        return out

    def drain(self, ms: int) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            self.poll(20)

    def close(self) -> None:
        try:
            self.km.shutdown_kernel(now=True)
        finally:
            self.ctx.destroy(linger=0)
            shutil.rmtree(self.tmp, ignore_errors=True)


def tag_of(m: dict) -> int | None:
    hit = TAG.search(json.dumps(m["content"])[:100000])
    return int(hit.group(1)) if hit else None


def trace(kernel: Kernel, cells: list[tuple[str, int, str]], grace_ms: int, log) -> list[dict]:
    """Executes the cells one by one; returns one record per execution."""
    records: list[dict] = []
    by_id: dict[str, dict] = {}
    for kind, n, code in cells:
        msg = kernel.session.send(
            kernel.shell,
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": False,
            },
        )
        mid = msg["header"]["msg_id"]
        t0 = time.perf_counter()
        rec = {"kind": kind, "n": n, "msg_id": mid, "t0": t0, "events": []}
        records.append(rec)
        by_id[mid] = rec
        idle_at = None
        reply_at = None
        last = t0
        while True:
            got = kernel.poll(50)
            now = time.perf_counter()
            for _, channel, m, at in got:
                parent = m["parent_header"].get("msg_id")
                owner = by_id.get(parent)
                t = round((at - owner["t0"] if owner else 0) * 1000, 2)
                mtype = m["header"]["msg_type"]
                ev = {"t_ms": t, "channel": channel, "type": mtype}
                if mtype == "status":
                    ev["state"] = m["content"].get("execution_state")
                if mtype in OUTPUT_TYPES:
                    ev["tag"] = tag_of(m)
                if owner is None:
                    continue
                if owner is not rec:
                    ev["during"] = n  # arrived while a later cell ran
                owner["events"].append(ev)
                if owner is rec:
                    last = at
                    if channel == "shell" and mtype == "execute_reply":
                        reply_at = at
                    if mtype == "status" and ev.get("state") == "idle":
                        idle_at = at
            if idle_at and reply_at and (now - max(idle_at, last)) * 1000 >= grace_ms:
                break
            if now - t0 > 120:
                log(f"cell {n} ({kind}): no idle after 120 s")
                break
    # Late arrivals of the last cell.
    kernel.drain(grace_ms)
    return records


def analyse(rec: dict) -> dict:
    """Per execution: expected outputs, which came after idle, how late."""
    ev = rec["events"]
    idle = next((i for i, e in enumerate(ev) if e["type"] == "status" and e.get("state") == "idle"), None)
    idle_t = ev[idle]["t_ms"] if idle is not None else None
    outs = [(i, e) for i, e in enumerate(ev) if e["type"] in OUTPUT_TYPES]
    late = [(e["t_ms"] - idle_t) for i, e in outs if idle is not None and i > idle]
    wrong = [e for _, e in outs if e.get("tag") is not None and e["tag"] != rec["n"]]
    return {
        "outputs": len(outs),
        "late": late,
        "wrong_parent": len(wrong),
        "lost": 1 if len(outs) == 0 else 0,
        "order": " ".join(
            (e["type"] if e["type"] != "status" else e["state"])
            + ("(shell)" if e["channel"] == "shell" else "")
            for e in ev
        ),
    }


def start_load(k: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(k)
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=40, help="cells per kind (default 40)")
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--display", choices=["raw", "lib"], default="raw")
    p.add_argument("--load", type=int, default=0, help="busy child processes")
    p.add_argument("--grace", type=int, default=1000, help="ms to keep reading after idle")
    p.add_argument("--deno", default=None)
    p.add_argument("--json", default=None, help="write every record here")
    a = p.parse_args()
    kinds = [k for k in a.kinds.split(",") if k]
    for k in kinds:
        if k not in KINDS:
            p.error(f"unknown kind {k}")
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    load = start_load(a.load)
    kernel = Kernel(deno_path(a.deno), ROOT)
    try:
        # Warm-up: the first import compiles lib/notebook.
        kernel_cells = [(k, 0, cell_code(k, 0, a.display)) for k in kinds]
        trace(kernel, kernel_cells, 300, log)
        cells = []
        n = 1
        for _ in range(a.runs):
            for k in kinds:
                cells.append((k, n, cell_code(k, n, a.display)))
                n += 1
        t = time.monotonic()
        records = trace(kernel, cells, a.grace, log)
        wall = time.monotonic() - t
    finally:
        kernel.close()
        for c in load:
            c.kill()
    if a.json:
        with open(a.json, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    print(
        f"display={a.display} load={a.load} grace={a.grace}ms cells={len(records)} "
        f"wall={wall:.1f}s cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}"
    )
    print(f"{'kind':6} {'cells':>5} {'after idle':>10} {'lost':>5} {'wrong parent':>12}  late ms (median / max)")
    total_late = total_lost = total_wrong = 0
    orders: dict[str, int] = {}
    for k in kinds:
        rs = [analyse(r) for r in records if r["kind"] == k]
        late = [x for r in rs for x in r["late"]]
        lost = sum(r["lost"] for r in rs)
        wrong = sum(r["wrong_parent"] for r in rs)
        total_late += len(late)
        total_lost += lost
        total_wrong += wrong
        for r in rs:
            key = f"{k}: {r['order']}"
            orders[key] = orders.get(key, 0) + 1
        lat = f"{statistics.median(late):.1f} / {max(late):.1f}" if late else "-"
        print(f"{k:6} {len(rs):5} {len(late):10} {lost:5} {wrong:12}  {lat}")
    print(f"total: {total_late} after idle, {total_lost} lost, {total_wrong} under a wrong parent")
    print("message orders seen (count):")
    for key, c in sorted(orders.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {c:4}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

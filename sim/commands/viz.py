"""`leniency viz`: serve the browser app (sim/app/app.py) with Solara's server, on 127.0.0.1 unless --host
says otherwise, and print its address. The page needs no internet: the front end is served from the
solara-assets files in the environment."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

APP_PATH = Path(__file__).resolve().parent.parent / "app" / "app.py"
DEFAULT_PORT = 8765


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an offline, private server.

    SOLARA_ASSETS_PROXY=True makes the server hand out the front end from ``<prefix>/share/solara/cdn``
    (installed by solara-assets) instead of pointing the browser at a CDN (solara turns the proxy off in
    some hosts, so it is set explicitly); telemetry off stops calls home from the server.
    """
    env = dict(os.environ if base is None else base)
    env["SOLARA_ASSETS_PROXY"] = "True"
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Solara's "This website runs on Solara" badge sits over the page's bottom-right corner (the summary
    # table); the page's title names the project instead
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    # plain http on this machine: Solara falls back to samesite=lax cookies, rightly, but warns on every first
    # load
    env["PYTHONWARNINGS"] = "ignore:Cookies with samesite=none require https:UserWarning"
    return env


def server_command(host: str, port: int) -> list[str]:
    """The solara command line. --production also drops the page's check-in iframes to solara.dev (they fail
    offline and show up as console errors); --no-check-version skips the PyPI version lookup."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_PATH),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--no-open",
        "--log-level",
        "warning",
    ]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now on ``host`` (an IPv4 or IPv6 address or name; for --port 0 and for
    tests)."""
    family, _, _, _, addr = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind(addr)
        return int(s.getsockname()[1])


def _port_busy(host: str, port: int) -> str | None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # gaierror, or a name the IDNA codec refuses
        return f"--host {host}: cannot resolve ({getattr(exc, 'strerror', None) or 'not a host name'})"
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            return f"--port {port} on {host}: cannot listen ({exc.strerror}); choose another port with --port"
    return None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("viz", help="serve the browser app (no internet needed)", description=__doc__)
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"leniency viz: --port {args.port}: must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        port = args.port or free_port(args.host)
    except (OSError, UnicodeError) as exc:  # an unknown name, not a name at all, or not this machine's
        why = getattr(exc, "strerror", None) or "not a host name or address"
        print(f"leniency viz: --host {args.host}: cannot listen there ({why})", file=sys.stderr)
        return 2
    problem = _port_busy(args.host, port)
    if problem:
        print(f"leniency viz: {problem}", file=sys.stderr)
        return 2
    shown = f"[{args.host}]" if ":" in args.host else args.host
    # The server runs in a process group of its own, so a terminal's Ctrl-C reaches only this command, which
    # then stops the server at once: Solara's own Ctrl-C handling waits for open pages (~65 s after Play).
    posix = os.name == "posix"
    proc = subprocess.Popen(
        server_command(args.host, port),
        env=server_env(),
        process_group=0 if posix else None,
        preexec_fn=_die_with_parent if posix else None,
        stdout=subprocess.PIPE,
    )
    threading.Thread(target=_forward, args=(proc,), name="viz-stdout", daemon=True).start()
    try:
        if not _wait_listening(args.host, port, proc):
            print(
                f"leniency viz: the server stopped before it listened (exit {proc.returncode})",
                file=sys.stderr,
            )
            return proc.returncode or 1
        print(f"leniency viz: serving the app at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
        return proc.wait()
    finally:
        stop_server(proc)


STARTUP_S = 180.0  # the first start imports Mesa, Solara and Plotly: ~10 s on a busy laptop
STOP_GRACE_S = 1.0  # after SIGTERM, then SIGKILL: Ctrl-C answers within ~1 s


def _forward(proc: subprocess.Popen[bytes]) -> None:
    """Copy the server's output to ours, less Solara's own "server is starting at" line: it comes seconds
    before the server listens, and the address is ours to print once it does."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if b"server is starting at" not in line:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()


def _wait_listening(host: str, port: int, proc: subprocess.Popen[bytes]) -> bool:
    """Poll until the server accepts a connection (True) or its process ends (False); the address is printed
    only when a browser can open it."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    deadline = time.monotonic() + STARTUP_S
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return proc.poll() is None


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL after ``STOP_GRACE_S`` if anything of it is left."""
    if proc.poll() is not None:
        return
    if os.name != "posix":
        proc.kill()
        proc.wait()
        return
    for sig, wait_s in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):  # whatever the server started in its group
        os.killpg(proc.pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the server process before it starts (Linux): the kernel sends it SIGKILL when this command dies,
    even by SIGKILL, which no handler here sees."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

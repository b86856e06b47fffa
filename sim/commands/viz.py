"""`leniency viz`: serve the browser app (sim/app/app.py) with Solara's server, on 127.0.0.1 unless --host
says otherwise, and print its address. The page needs no internet: the front end is served from the
solara-assets files in the environment."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
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
    print(f"leniency viz: serving the app at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    cmd = server_command(args.host, port)
    if os.name == "posix":
        # Become the server: Ctrl-C and kill reach it directly and no orphaned server outlives this command.
        os.execve(cmd[0], cmd, server_env())
    return subprocess.call(cmd, env=server_env())

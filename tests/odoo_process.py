"""Start and stop odoo-bin on a free loopback port.

Shared by the end-to-end tests (tests/conftest.py) and the load scripts
(bench/): one way to run a real Odoo server for them both.
"""

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_odoo(python, odoo_src, config, db, log_path, workers=0, extra=(), db_filter=True):
    """Serve ``db`` on a free loopback port; the log goes to ``log_path``.

    Without ``db_filter``, the server serves ``db`` only, as docs/DEPLOY.md
    advises for one database: Odoo then does not list the databases (on a
    connection of its own) for each request.

    :return: ``(process, url)`` once Odoo answers its health check
    """
    port = free_port()
    command = [
        str(python), str(Path(odoo_src) / "odoo-bin"), "-c", str(config),
        "-d", db, *([f"--db-filter=^{db}$"] if db_filter else []), "--http-interface=127.0.0.1",
        f"--http-port={port}", "--gevent-port=0", f"--workers={workers}",
        "--max-cron-threads=0", "--log-level=warn", *extra,
    ]
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
    except Exception:
        stop_odoo(process)
        raise
    return process, url


def wait_until_up(url, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"odoo-bin exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"Odoo did not answer on {url} within {timeout}s")


def stop_odoo(process):
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()

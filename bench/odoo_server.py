"""Start odoo-bin on a free loopback port for the load scripts."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_odoo(odoo_src, config, db, workers, log_name):
    """:return: ``(process, port)`` once Odoo answers; the log goes to
    test-artifacts/<log_name>."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log_path = ROOT / "test-artifacts" / log_name
    port = free_port()
    command = [sys.executable, str(Path(odoo_src) / "odoo-bin"), "-c", config,
               "-d", db, f"--db-filter=^{db}$", "--http-interface=127.0.0.1",
               f"--http-port={port}", "--gevent-port=0", f"--workers={workers}",
               "--max-cron-threads=0", "--log-level=warn", "--limit-time-real=600"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=5)
            return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"Odoo did not start; see {log_path}")


def stop_odoo(process):
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def percentiles(latencies):
    """p50 and p95 in milliseconds."""
    ordered = sorted(latencies)
    return (1000 * ordered[len(ordered) // 2], 1000 * ordered[int(len(ordered) * 0.95)])


def run_clients(client, count):
    """Run ``client`` in ``count`` threads at once; :return: seconds taken."""
    import threading

    threads = [threading.Thread(target=client) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def run_intake_job(registry):
    """Run the intake job as the scheduler would, until nothing is left.

    :return: ``(messages processed, seconds)``
    """
    from odoo import SUPERUSER_ID, api

    processed, started = 0, time.perf_counter()
    while True:
        with registry.cursor() as cr:
            done = api.Environment(cr, SUPERUSER_ID, {})["autoreg.inbound"]._cron_process_received()
        processed += done
        if not done:
            return processed, time.perf_counter() - started

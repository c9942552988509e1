"""Start odoo-bin on a free loopback port for the load scripts."""

import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import odoo_process  # noqa: E402
from odoo_process import stop_odoo  # noqa: E402, F401 - used by the load scripts


def start_odoo(odoo_src, config, db, workers, log_name):
    """:return: ``(process, port)`` once Odoo answers; the log goes to
    test-artifacts/<log_name>. The server is started as the end-to-end
    tests start theirs (tests/odoo_process.py), with one database and no
    database filter, as in production (docs/DEPLOY.md)."""
    process, url = odoo_process.start_odoo(
        sys.executable, odoo_src, config, db, ROOT / "test-artifacts" / log_name,
        workers=workers, extra=("--limit-time-real=600",), db_filter=False,
    )
    return process, int(url.rsplit(":", 1)[1])


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


def load_bot_api_server():
    """The tests' loopback Bot API server module, loaded by path: importing it
    as a module of the addon would import the addon's models too."""
    spec = importlib.util.spec_from_file_location(
        "bot_api_server", ROOT / "addons/client_autoreg/tests/bot_api_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""Telegram webhook load: many customers writing to the bot at once.

Starts Odoo (odoo-bin, prefork workers) on a loopback port and a Bot API
server on loopback, then posts updates to the bot's webhook from concurrent
clients, as Telegram does: each customer sends /start, shares their phone
number, then writes messages; a share of the updates is posted twice (a
Telegram retry). Prints webhook throughput and p50 / p95 latency, then runs
the intake job until every update is processed and prints its throughput.
Checks that every distinct update was stored exactly once and that each
customer got one contact and one request.

With ``--peer-db`` (a database with OCA ``mail_gateway_telegram`` 18.0, as
scripts/bench.sh telegram builds it), the same updates are then posted to
that module's webhook (``/gateway/telegram/<key>/update``) on a server with
the same workers, and ``ratio telegram <figure> <value>`` lines compare the
two (client_autoreg over the peer; throughput: the peer's over ours). The
peer gets the same stream without the phone-number cards: it has no use for
them, and a card without vCard, as the Telegram app sends it, fails in its
attachment code. mail_gateway_telegram handles each update within the post
(a Discuss channel per chat, a message per update); client_autoreg stores
the update in the post and registers it in the intake job, so the
``end-to-end`` ratio compares the seconds per update including that job.
Run it with scripts/bench.sh telegram.
"""

import argparse
import json
import queue
import random
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_server import (  # noqa: E402
    load_bot_api_server,
    percentiles,
    run_clients,
    run_intake_job,
    start_odoo,
    stop_odoo,
)

ROOT = Path(__file__).resolve().parent.parent
_bot_api_server = load_bot_api_server()
BotApiServer, UpdateFactory = _bot_api_server.BotApiServer, _bot_api_server.UpdateFactory

TOKEN = "7000042:bench-token"


def build_updates(customers, messages_each, run):
    """Updates in the order each customer's app sends them."""
    factory = UpdateFactory(first_update_id=run * 1_000_000)
    streams = []
    for number in range(customers):
        user = {"id": 8_000_000 + run * 10_000 + number, "first_name": f"Bench{number}",
                "last_name": "Customer", "language_code": ("en", "hi", "es")[number % 3]}
        stream = [factory.text(user, "/start"),
                  factory.contact(user, f"+91 9{run % 10}{number:08d}")]
        stream += [factory.text(user, f"Message {index} of customer {number}")
                   for index in range(messages_each)]
        streams.append(stream)
    return streams


def prepare(registry, api_url):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        team = env["helpdesk.ticket.team"].search([], limit=1) or env[
            "helpdesk.ticket.team"].create({"name": "Bench team"})
        if not team.user_ids:
            team.user_ids = env["res.users"].create(
                [{"name": f"Bench agent {n}", "login": f"tg-bench-{n}-{time.time()}"}
                 for n in range(3)])
        bot = env["autoreg.telegram.bot"].create(
            {"name": "Bench bot", "token": TOKEN, "api_url": api_url, "team_id": team.id})
        return bot.id, bot.webhook_secret


PEER_KEY = "bench-peer"


def prepare_peer(registry):
    """A Telegram gateway of mail_gateway_telegram, integrated as after
    setting its webhook (which would call Telegram), with three members."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Gateway = env["mail.gateway"]
        Gateway.search([("webhook_key", "=", PEER_KEY)]).unlink()
        members = env["res.users"].create(
            [{"name": f"Bench agent {n}", "login": f"tg-peer-{n}-{time.time()}"}
             for n in range(3)])
        gateway = Gateway.create({
            "name": "Bench gateway", "gateway_type": "telegram", "token": TOKEN,
            "webhook_key": PEER_KEY, "webhook_secret": "bench-peer-secret",
            "member_ids": [(6, 0, members.ids)],
        })
        gateway.integrated_webhook_state = "integrated"
        return gateway.webhook_secret


def run_peer(args, streams):
    """:return: ``(seconds, latencies, statuses, posted)``"""
    registry = Registry(args.peer_db)
    secret = prepare_peer(registry)
    peer_streams = [[update for update in stream if "contact" not in update["message"]]
                    for stream in streams]
    server, port = start_odoo(args.odoo_src, args.peer_config or args.config, args.peer_db,
                              args.workers, "bench-telegram-peer-odoo.log")
    try:
        elapsed, latencies, statuses = post_all(
            port, f"/gateway/telegram/{PEER_KEY}/update", secret, peer_streams,
            args.clients, args.replays)
    finally:
        stop_odoo(server)
    return elapsed, latencies, statuses, sum(len(stream) for stream in peer_streams)


def post_all(port, path, secret, streams, clients, replay_share):
    """Each client owns some customers and posts their updates in order."""
    work = queue.Queue()
    for stream in streams:
        work.put(stream)
    latencies, statuses, lock = [], {}, threading.Lock()
    rng = random.Random(42)

    def client():
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json",
                   "X-Telegram-Bot-Api-Secret-Token": secret}
        while True:
            try:
                stream = work.get_nowait()
            except queue.Empty:
                break
            for update in stream:
                body = json.dumps(update)
                for _attempt in range(2 if rng.random() < replay_share else 1):
                    started = time.perf_counter()
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - started
                    with lock:
                        latencies.append(elapsed)
                        statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    return run_clients(client, clients), latencies, statuses


def check(registry, bot_id):
    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM autoreg_inbound "
                   "WHERE telegram_bot_id = %s", (bot_id,))
        stored, distinct = cr.fetchone()
        cr.execute("SELECT state, COUNT(*) FROM autoreg_inbound WHERE telegram_bot_id = %s "
                   "GROUP BY state ORDER BY state", (bot_id,))
        states = dict(cr.fetchall())
        cr.execute("""SELECT COUNT(DISTINCT chat.partner_id), COUNT(DISTINCT ticket.id)
                        FROM autoreg_telegram_chat chat
                        LEFT JOIN helpdesk_ticket ticket
                          ON ticket.autoreg_telegram_chat_id = chat.id
                       WHERE chat.bot_id = %s""", (bot_id,))
        partners, tickets = cr.fetchone()
    return stored, distinct, states, partners, tickets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--messages", type=int, default=8, help="per customer, after the phone")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replays", type=float, default=0.05)
    parser.add_argument("--peer-db", help="database with OCA mail_gateway_telegram")
    parser.add_argument("--peer-config", help="Odoo configuration for --peer-db")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    run = int(time.time()) % 100
    streams = build_updates(args.customers, args.messages, run)
    total = sum(len(stream) for stream in streams)

    with BotApiServer(TOKEN) as bot_api:
        bot_id, secret = prepare(registry, bot_api.url)
        server, port = start_odoo(args.odoo_src, args.config, args.db, args.workers,
                                  "bench-telegram-odoo.log")
        try:
            path = f"/customer/telegram/{bot_id}/webhook"
            elapsed, latencies, statuses = post_all(
                port, path, secret, streams, args.clients, args.replays)
        finally:
            stop_odoo(server)
        _processed, processing = run_intake_job(registry)
        stored, distinct, states, partners, tickets = check(registry, bot_id)

    p50, p95 = percentiles(latencies)
    print(f"Webhook: {len(latencies):,} posts ({total:,} distinct updates + "
          f"{len(latencies) - total:,} replays) from {args.clients} clients, "
          f"{args.workers} Odoo workers")
    print(f"  throughput {len(latencies) / elapsed:8.1f} posts/s   "
          f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
          f"max {1000 * max(latencies):6.1f} ms   statuses {statuses}")
    print(f"Intake job: {total:,} updates processed in {processing:.1f} s "
          f"({total / processing:.1f} updates/s)   states {states}")
    print(f"Stored {stored:,} records for {distinct:,} distinct keys "
          f"(expected {total:,}); {partners} contacts, {tickets} requests "
          f"for {args.customers} customers")
    ok = stored == distinct == total and partners == tickets == args.customers
    print("CHECK", "OK" if ok else "FAILED")
    if args.peer_db:
        peer_elapsed, peer_latencies, peer_statuses, peer_total = run_peer(args, streams)
        peer_p50, peer_p95 = percentiles(peer_latencies)
        print(f"Peer, OCA mail_gateway_telegram: {len(peer_latencies):,} posts "
              f"({peer_total:,} distinct updates) from {args.clients} clients, "
              f"{args.workers} Odoo workers")
        print(f"  throughput {len(peer_latencies) / peer_elapsed:8.1f} posts/s   "
              f"p50 {peer_p50:6.1f} ms   p95 {peer_p95:6.1f} ms   "
              f"max {1000 * max(peer_latencies):6.1f} ms   statuses {peer_statuses}")
        # client_autoreg / peer; throughput: the peer's over ours
        print(f"ratio telegram p50 {p50 / peer_p50:.2f}")
        print(f"ratio telegram p95 {p95 / peer_p95:.2f}")
        print(f"ratio telegram throughput "
              f"{(len(peer_latencies) / peer_elapsed) / (len(latencies) / elapsed):.2f}")
        print(f"ratio telegram end-to-end "
              f"{((elapsed + processing) / total) / (peer_elapsed / peer_total):.2f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Odoo's fetchmail polls a real IMAP mailbox; intake sorts what it finds."""

import imaplib
import uuid
from email.message import EmailMessage


def _mail(sender, subject, tag, headers=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@company.example"
    message["Subject"] = subject
    message["Message-Id"] = f"<{subject.replace(' ', '-')}-{tag}@imap.test>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(f"{subject} ({tag})")
    return message


def test_known_unknown_and_spam_mail_each_take_their_path(rpc, odoo_settings, imap_server):
    tag = uuid.uuid4().hex[:8]
    mails = {
        "known": _mail("Anita Verma <anita.verma@example.in>", "Router again", tag),
        "unknown": _mail(f"Stranger <stranger.{tag}@elsewhere.example>", "Quote please", tag),
        "spam": _mail("anita.verma@example.in", "Cheap pills", tag, {"X-Spam-Flag": "YES"}),
    }
    imap = imaplib.IMAP4("127.0.0.1", imap_server["port"])
    imap.login(imap_server["user"], imap_server["password"])
    for message in mails.values():
        imap.append("INBOX", None, None, message.as_bytes())

    rpc.login(odoo_settings["db"], "admin", "admin")
    model = rpc.call_kw("ir.model", "search", [[("model", "=", "helpdesk.ticket")]])["result"]
    server = rpc.call_kw("fetchmail.server", "create", [{
        "name": f"IMAP test {tag}", "server_type": "imap", "server": "127.0.0.1",
        "port": imap_server["port"], "is_ssl": False, "user": imap_server["user"],
        "password": imap_server["password"], "object_id": model[0], "attach": True,
    }])["result"]
    try:
        assert "error" not in rpc.call_kw("fetchmail.server", "button_confirm_login", [[server]])
        assert "error" not in rpc.call_kw("fetchmail.server", "fetch_mail", [[server]])
    finally:
        rpc.call_kw("fetchmail.server", "unlink", [[server]])

    keys = {kind: message["Message-Id"] for kind, message in mails.items()}
    found = rpc.call_kw(
        "autoreg.inbound", "search_read", [[("idempotency_key", "in", list(keys.values()))]],
        fields=["idempotency_key", "state", "ticket_id", "partner_id", "filter_reason"],
    )["result"]
    by_key = {record["idempotency_key"]: record for record in found}
    known, unknown, spam = (by_key[keys[kind]] for kind in ("known", "unknown", "spam"))

    assert known["state"] == "done" and known["ticket_id"]
    assert known["partner_id"][1] == "Anita Verma"
    assert unknown["state"] == "review" and not unknown["ticket_id"] and not unknown["partner_id"]
    assert spam["state"] == "spam" and not spam["ticket_id"]
    assert "X-Spam-Flag" in spam["filter_reason"]

    imap.select("INBOX")
    assert imap.search(None, "UNSEEN")[1] == [b""], "fetchmail read every message"
    imap.logout()

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fetchmail marks a mail as taken only once it is stored.

Odoo's ``fetch_mail`` flags each IMAP mail ``\\Seen`` (or deletes a POP
mail) right after handing it to the gateway, before its transaction is
committed. When the commit fails (PostgreSQL restarted, the connection
lost), the mail is gone from the mailbox's unread mails and from Odoo.
Here the flag and the deletion wait for the commit: a mail whose
transaction failed stays unread and is fetched again by the next run (its
Message-Id makes a second delivery a no-op).
"""

import functools

from odoo import models


class FetchmailServer(models.Model):
    _inherit = "fetchmail.server"

    def connect(self, allow_archived=False):
        return _TakenAfterCommit(super().connect(allow_archived=allow_archived), self.env.cr)


class _TakenAfterCommit:
    """A mail server connection whose ``store(..., '+FLAGS', '\\Seen')``
    (IMAP) and ``dele`` (POP) run after the transaction commits."""

    def __init__(self, connection, cr):
        self._connection = connection
        self._cr = cr

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def store(self, num, command, flags):
        if command == "+FLAGS" and "\\Seen" in flags:
            self._cr.postcommit.add(
                functools.partial(self._connection.store, num, command, flags)
            )
            return "OK", [None]
        return self._connection.store(num, command, flags)

    def dele(self, num):
        self._cr.postcommit.add(functools.partial(self._connection.dele, num))
        return b"+OK"

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Outgoing mail: a temporary delivery failure is retried, as any MTA does.

Odoo's mail queue marks a mail *Delivery Failed* at the first failure and
never tries it again. Here, when the SMTP server answers a temporary error
(4xx: 421, 450, 451, 452...) or cannot be reached (connection refused,
timed out, cut), the mail stays *Outgoing* with its ``scheduled_date``
pushed back (1, 5, 15, then every 60 times ``client_autoreg.mail_retry_delay``
seconds); the queue (``process_email_queue``) only takes mails whose
``scheduled_date`` has come, and is triggered for that time. After the
retry period (``client_autoreg.mail_retry_hours``, counted from the first
failure) the mail fails as in Odoo. Permanent failures (5xx, invalid
addresses, configuration errors) fail at once, as in Odoo.

The hook is ``_postprocess_sent_message``, which Odoo calls for a failed
mail while it handles the exception that failed it (``mail.mail.send`` for a
connection that could not be opened, ``_send`` for a refused message); and
``_send`` for a connection cut while a message was sent, which Odoo
raises without post-processing.
"""

import errno
import logging
import smtplib
import socket
import ssl
import sys
from datetime import timedelta

from odoo import Command, fields, models, tools

_logger = logging.getLogger(__name__)

# The n-th retry waits BACKOFF[n - 1] times the first delay (the last one
# for every later retry).
BACKOFF = (1, 5, 15, 60)
# Network errors an MTA retries (besides refused, reset, timed out).
TEMPORARY_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def is_temporary(error):
    """Whether ``error``, or the error it wraps (Odoo raises its own
    MailDeliveryException from the SMTP error), is one a sender retries
    later: a 4xx answer, or a server out of reach or gone mid-session."""
    while error is not None:
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _answer in error.recipients.values()]
            return bool(codes) and all(400 <= code < 500 for code in codes)
        if isinstance(error, smtplib.SMTPResponseException):
            return 400 <= error.smtp_code < 500
        if isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)):
            return True
        if isinstance(error, socket.gaierror):
            return error.errno == socket.EAI_AGAIN  # the name server did not answer
        if isinstance(error, (smtplib.SMTPException, ssl.SSLError)):
            return False  # a configuration to fix (TLS, authentication method)
        if isinstance(error, OSError):
            return error.errno in TEMPORARY_ERRNOS
        error = error.__cause__ or error.__context__
    return False


class MailMail(models.Model):
    _inherit = "mail.mail"

    autoreg_retry_count = fields.Integer(
        string="Retries", readonly=True, copy=False,
        help="Temporary delivery failures of this mail so far (the SMTP server "
        "answered 4xx, or could not be reached); each is retried later.",
    )
    autoreg_retry_since = fields.Datetime(
        string="First temporary failure", readonly=True, copy=False,
        help="The first temporary failure. Retries stop after the retry period "
        "(system parameter client_autoreg.mail_retry_hours); the mail then "
        "fails as any other.",
    )

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        retried = self.browse()
        if failure_type in ("mail_smtp", "unknown"):
            # Odoo calls this while it handles the error that failed the mail.
            retried = self._autoreg_retry_later(success_pids, sys.exc_info()[1])
        rest = self - retried
        if retried and not rest:
            return True
        return super(MailMail, rest)._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def _send(self, auto_commit=False, raise_exception=False, smtp_session=None,
              alias_domain_id=False, mail_server=False, post_send_callback=None):
        queued = self.filtered(lambda mail: mail.state == "outgoing")
        try:
            return super()._send(
                auto_commit=auto_commit, raise_exception=raise_exception,
                smtp_session=smtp_session, alias_domain_id=alias_domain_id,
                mail_server=mail_server, post_send_callback=post_send_callback,
            )
        except smtplib.SMTPServerDisconnected as error:
            # Odoo gives up the batch without post-processing the mail it was
            # sending (the last one it marked failed, before sending it): it
            # is post-processed here, as a connection failure.
            cut = queued.filtered(lambda mail: mail.state == "exception")[-1:]
            if cut:
                reason = tools.exception_to_unicode(error)
                cut.write({"failure_reason": reason, "failure_type": "mail_smtp"})
                cut._postprocess_sent_message([], failure_reason=reason, failure_type="mail_smtp")
            raise

    def _autoreg_retry_later(self, success_pids, error):
        """Put back in the queue, for a later time, the mails that ``error``
        failed if it is temporary and they are within their retry period;
        return them. Their recipients already served (``success_pids``) are
        not sent the mail again."""
        if error is None or not is_temporary(error):
            return self.browse()
        settings = self.env["res.config.settings"]
        period = timedelta(hours=settings._autoreg_param("mail_retry_hours"))
        first_delay = settings._autoreg_param("mail_retry_delay")
        now = fields.Datetime.now()
        retried = self.filtered(lambda mail: now - (mail.autoreg_retry_since or now) < period)
        served = self.env["res.partner"].browse(
            [pid.id if isinstance(pid, models.BaseModel) else pid for pid in success_pids or ()]
        )
        for mail in retried:
            retries = mail.autoreg_retry_count + 1
            values = {
                "state": "outgoing",
                "failure_type": False,
                "scheduled_date": now + timedelta(
                    seconds=first_delay * BACKOFF[min(retries, len(BACKOFF)) - 1]
                ),
                "autoreg_retry_count": retries,
                "autoreg_retry_since": mail.autoreg_retry_since or now,
            }
            have_it = served & mail.recipient_ids
            if have_it:
                # Odoo sends to email_to and email_cc first, then to each
                # partner, and stops at the failure: the ones before it have
                # the mail.
                values.update(
                    email_to=False, email_cc=False,
                    recipient_ids=[Command.unlink(partner.id) for partner in have_it],
                )
            mail.write(values)
        if retried:
            _logger.warning(
                "%s mail(s) not delivered, temporary failure, retried from %s (ids %s): %s",
                len(retried), min(retried.mapped("scheduled_date")), retried.ids[:10],
                " ".join((retried[0].failure_reason or "").split()),
            )
            retried._autoreg_notifications_pending(served)
            queue = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
            if queue:
                queue.sudo()._trigger(sorted(set(retried.mapped("scheduled_date"))))
        return retried

    def _autoreg_notifications_pending(self, served):
        """The recipients' notifications of mails to retry: delivered for the
        ``served`` partners, still to send (not failed) for the others."""
        # sudo: notifications are written as Odoo's queue writes them
        notifications = self.env["mail.notification"].sudo().search([
            ("mail_mail_id", "in", self.ids),
            ("notification_type", "=", "email"),
            ("notification_status", "not in", ("sent", "canceled")),
        ])
        delivered = notifications.filtered(lambda notif: notif.res_partner_id in served)
        cleared = {"failure_type": False, "failure_reason": False}
        delivered.write({"notification_status": "sent", **cleared})
        (notifications - delivered).write({"notification_status": "ready", **cleared})

    def _autoreg_send_soon(self):
        """Have the mail queue send what intake queued, in one batch over
        one connection, instead of a connection per mail after each
        commit (and instead of Odoo's hourly run of the queue)."""
        self.env["ir.cron"]._autoreg_wake_job("mail.ir_cron_mail_scheduler_action")

    def mark_outgoing(self):
        """The operator's Retry: a new delivery, retried for a whole period
        again should it fail temporarily."""
        self.write({"autoreg_retry_count": 0, "autoreg_retry_since": False})
        return super().mark_outgoing()

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Outgoing mail that the SMTP server refuses for now is sent again later."""

import smtplib
import ssl
from contextlib import ExitStack
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.addons.mail.tests.common import MailCommon
from odoo.tests import tagged
from odoo.tools import mute_logger

BUSY = smtplib.SMTPSenderRefused(451, b"4.3.0 Temporary failure, try again later",
                                 "support@test.mycompany.com")
QUIET_LOGS = ("odoo.addons.mail.models.mail_mail", "odoo.addons.client_autoreg.models.mail_mail")


@tagged("post_install", "-at_install")
class TestMailRetry(MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["mail.mail"].search([("state", "=", "outgoing")]).cancel()  # demo data's
        cls.env["ir.mail_server"].create({
            "name": "Relay", "smtp_host": "smtp.relay.example", "smtp_port": 25,
            "smtp_encryption": "none", "sequence": 1,
        })
        cls.asha = cls.env["res.partner"].create(
            {"name": "Asha Rao", "email": "asha@customer.example"})
        cls.luis = cls.env["res.partner"].create(
            {"name": "Luis Pérez", "email": "luis@cliente.example"})
        team = cls.env["helpdesk.ticket.team"].create({"name": "Retry team"})
        cls.ticket = cls.env["helpdesk.ticket"].with_context(mail_create_nosubscribe=True).create(
            {"name": "Printer broken", "description": "It does not print.", "team_id": team.id})
        cls.start = datetime(2026, 3, 2, 9, 0)

    def queue_reply(self, partners):
        """A staff reply to ``partners``, queued (as when posted in a batch)."""
        with self.mock_datetime_and_now(self.start):
            message = self.ticket.with_context(mail_notify_force_send=False).message_post(
                body="Your printer is fixed.", partner_ids=partners.ids,
                message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, partners)
        self.assertEqual(mail.state, "outgoing")
        return mail, message.notification_ids.filtered(lambda n: n.notification_type == "email")

    def run_queue(self, at, refuse=None, connect_error=None):
        """Odoo's mail queue job at ``at``, with an SMTP server raising
        ``refuse`` for each message (an exception or a function deciding),
        or failing the connection with ``connect_error``.

        :return: the recipients of each message the server took
        """
        with ExitStack() as stack:
            stack.enter_context(self.mock_datetime_and_now(at))
            stack.enter_context(self.mock_smtplib_connection())
            stack.enter_context(mute_logger(*QUIET_LOGS))
            if refuse is not None:
                original = self.testing_smtp_session.send_message
                if isinstance(refuse, Exception):
                    exception, refuse = refuse, lambda *_args: _raise(exception)
                stack.enter_context(patch.object(
                    self.testing_smtp_session, "send_message",
                    side_effect=lambda *args: refuse(*args) or original(*args)))
            if connect_error is not None:
                stack.enter_context(patch("smtplib.SMTP", side_effect=connect_error))
            self.env["mail.mail"].process_email_queue()
            return [email["smtp_to_list"] for email in self.emails]

    def assertWaitsForRetry(self, mail, notifications, retries, at):
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.autoreg_retry_count, retries)
        self.assertEqual(mail.scheduled_date, at)
        self.assertTrue(mail.failure_reason)
        self.assertFalse(mail.failure_type)
        # Users see the reply as still to send, not as failed.
        self.assertEqual(set(notifications.mapped("notification_status")), {"ready"})
        self.assertFalse(any(notifications.mapped("failure_type")))

    def test_temporary_refusal_is_retried_later_and_delivered_once(self):
        mail, notifications = self.queue_reply(self.asha)

        self.assertEqual(self.run_queue(self.start, refuse=BUSY), [])
        retry_at = self.start + timedelta(minutes=1)
        self.assertWaitsForRetry(mail, notifications, 1, retry_at)
        self.assertIn("451", mail.failure_reason)
        self.assertEqual(mail.autoreg_retry_since, self.start)
        # Odoo's queue runs hourly: it is triggered for the retry time.
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(self.env["ir.cron.trigger"].search(
            [("cron_id", "=", queue.id), ("call_at", "=", retry_at)]))

        # The queue takes only mails whose scheduled date has come.
        self.assertEqual(self.run_queue(retry_at - timedelta(seconds=1)), [])
        self.assertEqual(mail.autoreg_retry_count, 1)

        self.assertEqual(self.run_queue(retry_at), [["asha@customer.example"]])
        self.assertEqual(notifications.notification_status, "sent")
        self.assertFalse(mail.exists())  # a notification mail is deleted once sent
        self.assertEqual(self.run_queue(retry_at + timedelta(hours=1)), [])

    def test_retries_back_off_then_fail_after_the_retry_period(self):
        mail, notifications = self.queue_reply(self.asha)
        at, delays = self.start, []
        while True:
            self.run_queue(at, refuse=BUSY)
            if mail.state != "outgoing":
                break
            delays.append(mail.scheduled_date - at)
            at = mail.scheduled_date
        minutes = [int(delay.total_seconds() // 60) for delay in delays]
        self.assertEqual(minutes[:6], [1, 5, 15, 60, 60, 60])
        self.assertEqual(set(minutes[3:]), {60})
        # Two days (client_autoreg.mail_retry_hours) after the first failure.
        self.assertGreaterEqual(at - self.start, timedelta(hours=48))
        self.assertLess(at - self.start, timedelta(hours=49))

        # Then it fails as in Odoo, and users see it.
        self.assertEqual(mail.state, "exception")
        self.assertIn("451", mail.failure_reason)
        self.assertEqual(mail.autoreg_retry_count, len(delays))
        self.assertEqual(notifications.notification_status, "exception")

        # The operator's Retry starts a new delivery, retried again.
        mail.action_retry()
        self.assertEqual((mail.state, mail.autoreg_retry_count), ("outgoing", 0))
        later = at + timedelta(hours=2)
        self.run_queue(later, refuse=BUSY)
        self.assertWaitsForRetry(mail, notifications, 1, later + timedelta(minutes=1))
        self.assertEqual(self.run_queue(later + timedelta(minutes=1)),
                         [["asha@customer.example"]])

    def test_server_out_of_reach_is_retried(self):
        for error in (
            ConnectionRefusedError(111, "Connection refused"),
            TimeoutError("timed out"),
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            smtplib.SMTPConnectError(421, b"4.3.2 Service not available"),
        ):
            with self.subTest(error=repr(error)):
                mail, notifications = self.queue_reply(self.asha)
                self.assertEqual(self.run_queue(self.start, connect_error=error), [])
                self.assertWaitsForRetry(
                    mail, notifications, 1, self.start + timedelta(minutes=1))
                mail.cancel()

    def test_connection_cut_while_sending_retries_that_mail(self):
        first, first_notifications = self.queue_reply(self.asha)
        second, _notifications = self.queue_reply(self.luis)

        cut = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.assertEqual(self.run_queue(self.start, refuse=cut), [])
        self.assertWaitsForRetry(
            first, first_notifications, 1, self.start + timedelta(minutes=1))
        self.assertIn("Connection unexpectedly closed", first.failure_reason)
        # Odoo gave up the batch: the next mail was not tried.
        self.assertEqual((second.state, second.autoreg_retry_count), ("outgoing", 0))

        sent = self.run_queue(self.start + timedelta(minutes=1))
        self.assertEqual(sorted(sent), [["asha@customer.example"], ["luis@cliente.example"]])

    def test_recipient_greylisted_gets_the_mail_later_others_once(self):
        mail, notifications = self.queue_reply(self.asha | self.luis)

        def greylist(_message, _smtp_from, smtp_to_list):
            if smtp_to_list == ["luis@cliente.example"]:
                raise smtplib.SMTPRecipientsRefused(
                    {"luis@cliente.example": (450, b"4.2.0 Greylisted, try again later")})

        self.assertEqual(self.run_queue(self.start, refuse=greylist),
                         [["asha@customer.example"]])
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.luis)  # Asha has it
        status = {n.res_partner_id: n.notification_status for n in notifications}
        self.assertEqual(status, {self.asha: "sent", self.luis: "ready"})

        self.assertEqual(self.run_queue(self.start + timedelta(minutes=1)),
                         [["luis@cliente.example"]])
        self.assertEqual(set(notifications.mapped("notification_status")), {"sent"})

    def test_permanent_failures_fail_at_once(self):
        for label, failure in (
            ("554 at the greeting", {"connect_error": smtplib.SMTPConnectError(
                554, b"5.3.2 No SMTP service here")}),
            ("550 unknown recipient", {"refuse": smtplib.SMTPRecipientsRefused(
                {"asha@customer.example": (550, b"5.1.1 No such user")})}),
            ("554 message rejected", {"refuse": smtplib.SMTPDataError(
                554, b"5.7.1 Message rejected")}),
            ("TLS certificate", {"connect_error": ssl.SSLCertVerificationError(
                1, "certificate verify failed")}),
        ):
            with self.subTest(failure=label):
                mail, notifications = self.queue_reply(self.asha)
                self.assertEqual(self.run_queue(self.start, **failure), [])
                self.assertEqual(mail.state, "exception")
                self.assertEqual(mail.autoreg_retry_count, 0)
                self.assertEqual(notifications.notification_status, "exception")

    def test_retry_period_zero_keeps_odoo_behaviour(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.mail_retry_hours", "0")
        for refuse, reason in (
            (BUSY, "451"),
            (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "closed"),
        ):
            with self.subTest(reason=reason):
                mail, notifications = self.queue_reply(self.asha)
                self.run_queue(self.start, refuse=refuse)
                self.assertEqual(mail.state, "exception")
                self.assertIn(reason, mail.failure_reason)
                self.assertEqual(notifications.notification_status, "exception")
                self.assertIn(reason, notifications.failure_reason)

    def test_first_delay_is_a_system_parameter(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.mail_retry_delay", "2")
        mail, notifications = self.queue_reply(self.asha)
        self.run_queue(self.start, refuse=BUSY)
        self.assertWaitsForRetry(mail, notifications, 1, self.start + timedelta(seconds=2))
        self.run_queue(self.start + timedelta(seconds=2), refuse=BUSY)
        self.assertWaitsForRetry(mail, notifications, 2, self.start + timedelta(seconds=12))


def _raise(exception):
    raise exception

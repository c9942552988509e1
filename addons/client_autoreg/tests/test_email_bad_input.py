# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common_mail import AutoregMailCase


@tagged("post_install", "-at_install")
class TestEmailBadInput(AutoregMailCase):
    def _raw(self, headers, body):
        lines = [f"To: {self.support_address}", *headers, "", body]
        return "\r\n".join(lines).encode("latin-1")

    def test_rfc2047_hindi_and_spanish_headers_are_decoded(self):
        raw = self._raw(
            [
                "From: =?utf-8?b?4KSw4KS+4KSc4KWH4KS2IOCkleClgeCkruCkvuCksA==?= "
                "<rajesh@elsewhere.example>",
                "Subject: =?utf-8?b?wr9QdWVkZW4gbGxhbWFybWU/IOCkqOCkruCkuOCljeCkpOClhw==?=",
                "Message-Id: <rfc2047@elsewhere.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
            ],
            "Hola",
        )
        inbound = self.deliver(None, raw=raw, subject="¿Pueden llamarme? नमस्ते")
        self.assertEqual(inbound.sender_name, "राजेश कुमार")
        self.assertEqual(inbound.state, "review")

    def test_8bit_latin1_body_is_kept_byte_for_byte(self):
        raw = self._raw(
            [
                "From: Ñandú <nandu@elsewhere.example>",
                "Subject: Cañería rota",
                "Message-Id: <latin1@elsewhere.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=iso-8859-1",
                "Content-Transfer-Encoding: 8bit",
            ],
            "La cañería del baño pierde agua.",
        )
        inbound = self.deliver(None, raw=raw, subject="Cañería rota")
        self.assertEqual(inbound._mail_raw_bytes(), raw)
        self.assertIn("cañería del baño", inbound.body)

        inbound.action_approve_sender()
        self.assertEqual(inbound.state, "done")
        self.assertIn("cañería del baño", inbound.ticket_id.description)

    def test_missing_message_id_is_still_received(self):
        raw = self._raw(
            ["From: known@customer.example", "Subject: No id at all"], "Body without id"
        )
        inbound = self.deliver(None, raw=raw, subject="No id at all")
        self.assertEqual(inbound.state, "done")
        self.assertTrue(inbound.idempotency_key)

    def test_html_only_and_empty_bodies(self):
        html = self.deliver(
            "known@customer.example", subject="HTML only",
            html="<html><body><p>Only <b>HTML</b> here</p></body></html>",
        )
        empty = self.deliver("known@customer.example", subject="Empty", body="")
        self.assertEqual(html.state, "done")
        self.assertIn("<b>HTML</b>", html.ticket_id.description)
        self.assertEqual(empty.state, "done")
        self.assertEqual(empty.ticket_id.name, "Empty")

    def test_malformed_mime_is_held_not_lost(self):
        raw = self._raw(
            [
                "From: broken@elsewhere.example",
                "Subject: Broken MIME",
                "Message-Id: <broken-mime@elsewhere.example>",
                "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="never-closed"',
            ],
            "--never-closed\r\nContent-Type: text/plain\r\n\r\nhalf a message",
        )
        inbound = self.deliver(None, raw=raw, subject="Broken MIME")
        self.assertEqual(inbound.state, "review")
        self.assertIn(b"never-closed", inbound._mail_raw_bytes())

    def test_large_attachment_is_kept(self):
        blob = bytes(range(256)) * 4096 * 8  # 8 MiB
        inbound = self.deliver(
            "stranger@elsewhere.example", subject="Big file",
            attachments=[("dump.bin", blob, "application/octet-stream")],
        )
        self.assertEqual(inbound.state, "review")
        self.assertEqual(inbound.attachment_ids.filtered(lambda a: a.name == "dump.bin").raw, blob)

    def test_a_failing_message_does_not_break_the_next_one(self):
        self.team.autoreg_registered_action_id = self.env["ir.actions.server"].create(
            {
                "name": "Broken",
                "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id,
                "state": "code",
                "code": "raise UserError('assignment service down')",
            }
        )
        failed = self.deliver("known@customer.example", subject="First")
        self.team.autoreg_registered_action_id = False
        fine = self.deliver("known@customer.example", subject="Second")

        self.assertEqual(failed.state, "error")
        self.assertEqual(failed.error_message, "assignment service down")
        self.assertEqual(fine.state, "done")
        failed.action_retry()
        self.assertEqual(failed.state, "done")
        self.assertEqual(failed.ticket_id.name, "First")

    def _forward_as_attachment(self, sender, original_sender):
        """A mail forwarding another one as an attachment (message/rfc822),
        as Outlook and Thunderbird do."""
        original = self.build_mail(
            original_sender, subject="Invoice 4711", body="Please pay invoice 4711.",
            to="someone@customer.example",
        )
        forward = self.build_mail(sender, subject="Fwd: Invoice 4711",
                                  body="See the mail below.", to=self.support_address)
        forward.add_attachment(original)
        return forward

    def test_forwarded_message_from_a_known_sender_is_registered(self):
        forward = self._forward_as_attachment("known@customer.example", "vendor@supplier.example")
        inbound = self.deliver(None, raw=forward.as_bytes(), subject="Fwd: Invoice 4711")

        self.assertEqual(inbound.state, "done", inbound.error_message)
        ticket = inbound.ticket_id
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertIn("See the mail below.", ticket.description)

    def test_forwarded_message_held_for_review_keeps_the_original_as_eml(self):
        forward = self._forward_as_attachment("new@elsewhere.example", "vendor@supplier.example")
        inbound = self.deliver(None, raw=forward.as_bytes(), subject="Fwd: Invoice 4711")

        self.assertEqual(inbound.state, "review", inbound.error_message)
        eml = inbound.attachment_ids.filtered(lambda att: att.name.endswith(".eml"))
        self.assertEqual(len(eml), 1)
        self.assertIn(b"Please pay invoice 4711.", eml.raw)

    def test_mail_the_gateway_cannot_route_is_stored_with_its_error(self):
        # No alias and no fallback model: Odoo's router raises, and stock
        # Odoo loses the mail (or bounces it from the mail server).
        raw = self.build_mail(
            "known@customer.example", subject="Lost?", to="nobody@nowhere.example"
        ).as_bytes()
        with self.mock_mail_gateway():
            result = self.env["mail.thread"].sudo().message_process(None, raw)

        inbound = self._inbound(None)
        self.assertFalse(result)
        self.assertEqual(inbound.state, "error")
        self.assertIn("No possible route", inbound.error_message)
        self.assertEqual(inbound._mail_raw_bytes(), raw)

        # Once Odoo knows where such mail goes, the manager retries it.
        inbound.sudo().mail_gateway_model = "helpdesk.ticket"
        inbound.action_retry()
        self.assertEqual(inbound.state, "done", inbound.error_message)
        self.assertEqual(inbound.ticket_id.name, "Lost?")

    def test_mail_odoo_cannot_parse_is_stored_before_parsing(self):
        # A charset Python does not know makes Odoo's own parser raise
        # (LookupError): stock Odoo loses such a mail with its transaction.
        raw = self._raw(
            [
                "From: known@customer.example",
                "Subject: Odd charset",
                "Message-Id: <odd-charset@customer.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=x-no-such-charset",
                "Content-Transfer-Encoding: 8bit",
            ],
            "D\xe9j\xe0 vu",
        )
        inbound = self.deliver(None, raw=raw, subject="Odd charset")

        self.assertEqual(inbound._mail_raw_bytes(), raw)
        self.assertEqual(inbound.state, "error")
        self.assertIn("unknown encoding", inbound.error_message)
        self.assertFalse(inbound.ticket_id)

    def test_nul_in_decoded_subject_and_body_is_registered_without_it(self):
        # No NUL byte on the wire: the subject (RFC 2047) and the body
        # (base64, quoted-printable) decode to text holding U+0000, which
        # PostgreSQL text cannot store. The parsed mail is stored without
        # the NUL, like any other mail; the raw bytes are kept as received.
        cases = {
            "known": ("known@customer.example", "done"),
            "stranger": ("stranger@elsewhere.example", "review"),
        }
        for label, (sender, state) in cases.items():
            for encoding, body, text in (
                ("base64", "SGVsbG8AIHdvcmxkAA==\r\n", "Hello world"),  # "Hello\0 world\0"
                ("quoted-printable", "Printer=00 broken=00 again\r\n", "Printer broken again"),
            ):
                with self.subTest(sender=label, encoding=encoding):
                    message_id = f"<nul-{label}-{encoding}@elsewhere.example>"
                    raw = self._raw(
                        [
                            f"From: {sender}",
                            "Subject: =?utf-8?q?Printer=00_broken?=",
                            f"Message-Id: {message_id}",
                            "MIME-Version: 1.0",
                            "Content-Type: text/plain; charset=utf-8",
                            f"Content-Transfer-Encoding: {encoding}",
                        ],
                        body,
                    )
                    self.assertNotIn(b"\x00", raw)
                    inbound = self.deliver(None, raw=raw, subject="Printer broken")

                    self.assertEqual(len(inbound), 1)
                    self.assertEqual(inbound._mail_raw_bytes(), raw)
                    self.assertEqual(inbound.state, state, inbound.error_message)
                    self.assertEqual(inbound.subject, "Printer broken")
                    self.assertIn(text, inbound.body)
                    if label == "known":
                        self.assertEqual(inbound.ticket_id.name, "Printer broken")
                        self.assertIn(text, inbound.ticket_id.description)

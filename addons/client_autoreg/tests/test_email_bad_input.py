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
        self.assertEqual(inbound._raw_bytes(), raw)
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
        self.assertIn(b"never-closed", inbound._raw_bytes())

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

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common import AutoregCase


class TestInboundIdempotency(AutoregCase):
    def test_replayed_key_registers_nothing_more(self):
        first = self.register(
            self.web, "form-1", sender_email="replay@example.com", subject="Help"
        )
        tickets = self.Ticket.search_count([])
        partners = self.Partner.search_count([])

        again = self.register(
            self.web, "form-1", sender_email="replay@example.com", subject="Help"
        )

        self.assertEqual(again, first)
        self.assertEqual(again.attempt_count, 1)
        self.assertEqual(self.Ticket.search_count([]), tickets)
        self.assertEqual(self.Partner.search_count([]), partners)
        self.assertEqual(
            self.Inbound.search_count(
                [("channel_id", "=", self.web.id), ("idempotency_key", "=", "form-1")]
            ),
            1,
        )

    def test_same_key_through_another_door_is_another_message(self):
        web = self.register(self.web, "42", sender_email="twice@example.com")
        other, created = self.Inbound._store(
            "telegram", "42", {"channel_id": self.chat.id, "sender_email": "twice@example.com"}
        )

        self.assertTrue(created)
        self.assertNotEqual(web, other)
        self.assertEqual(web.state, "done")

    def test_same_key_on_another_channel_of_the_door_is_a_replay(self):
        web = self.register(self.web, "43", sender_email="twice@example.com")
        again = self.register(self.mail, "43", sender_email="twice@example.com")

        self.assertEqual(again, web)
        self.assertEqual(self.Inbound.search_count([("idempotency_key", "=", "43")]), 1)

    def test_raw_payload_and_attachments_are_kept(self):
        raw = 'Message-Id: <abc@example.com>\nSubject: Hola\n\nSí, ¿qué tal?'
        inbound = self.register(
            self.web,
            "<abc@example.com>",
            payload=raw,
            sender_email="raw@example.com",
            subject="Hola",
            attachments=[{"name": "invoice.pdf", "raw": b"%PDF-1.4 test"}],
        )

        self.assertEqual(inbound.payload, raw)
        self.assertEqual(inbound.attachment_ids.mapped("name"), ["invoice.pdf"])
        self.assertEqual(inbound.attachment_ids.raw, b"%PDF-1.4 test")
        self.assertEqual(inbound.name, "Hola")

    def test_message_without_key_is_refused(self):
        with self.assertRaisesRegex(Exception, "idempotency key"):
            self.register(self.web, "", sender_email="nokey@example.com")

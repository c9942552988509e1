# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from .common_telegram import TelegramCase


class TestTelegramConversation(TelegramCase):
    def test_first_contact_asks_for_the_phone_and_registers_what_was_written(self):
        self.deliver(self.updates.text(self.meera, "/start"))
        early = self.deliver(self.updates.text(self.meera, "My washing machine leaks"))
        self.assertEqual(early.state, "waiting")
        self.assertFalse(self.Partner.search([("name", "=", "Meera Iyer")]))
        self.flush_outbox()
        greeting, prompt, *_again = self.api.sent()
        self.assertIn(self.company.name, greeting["text"])
        button = prompt["reply_markup"]["keyboard"][0][0]
        self.assertTrue(button["request_contact"])

        self.api.calls.clear()
        self.deliver(self.updates.contact(self.meera, "919811122233"))
        self.flush_outbox()

        partner = self.Partner.search([("phone_sanitized", "=", "+919811122233")])
        self.assertEqual(partner.name, "Meera Iyer")
        chat = self.env["autoreg.telegram.chat"].search([("partner_id", "=", partner.id)])
        self.assertEqual((chat.state, chat.phone, chat.telegram_user_id),
                         ("linked", "+919811122233", "5550001"))
        early.invalidate_recordset()
        self.assertEqual(early.state, "done")
        ticket = early.ticket_id
        self.assertEqual((ticket.partner_id, ticket.channel_id), (partner, self.telegram))
        self.assertIn("washing machine leaks", ticket.description)
        thanks, received = self.texts_to(self.meera)
        self.assertIn("+919811122233", thanks)
        self.assertIn(ticket.number, received)

    def test_later_messages_join_the_open_request(self):
        chat = self.register_chat(self.meera, "+91 98111 22244")
        first = self.deliver(self.updates.text(self.meera, "Order 55 is late"))
        second = self.deliver(self.updates.text(self.meera, "Any news?"))
        self.assertEqual(first.ticket_id, second.ticket_id)
        self.assertEqual(first.ticket_id.autoreg_telegram_chat_id, chat)
        posted = first.ticket_id.message_ids.filtered(lambda msg: "Any news?" in msg.body)
        self.assertEqual(posted.author_id, chat.partner_id)

    def test_existing_contact_is_matched_by_a_differently_written_number(self):
        known = self.Partner.create({"name": "Meera (shop)", "phone": "098111 22255",
                                     "country_id": self.env.ref("base.in").id})
        chat = self.register_chat(self.meera, "919811122255")
        self.assertEqual(chat.partner_id, known)
        self.assertEqual(self.Partner.search_count([("phone_sanitized", "=", "+919811122255")]), 1)

    def test_contact_of_someone_else_is_refused(self):
        self.deliver(self.updates.text(self.meera, "/start"))
        refused = self.deliver(self.updates.contact(self.meera, "919811122266", owner_id=777))
        self.flush_outbox()
        self.assertEqual(refused.state, "ignored")
        self.assertFalse(self.Partner.search([("phone_sanitized", "=", "+919811122266")]))
        chat = refused.telegram_chat_id
        self.assertNotEqual(chat.state, "linked")
        self.assertIn("only register your own phone number", self.texts_to(self.meera)[-1])

    def test_invalid_number_is_asked_again(self):
        self.deliver(self.updates.text(self.meera, "/start"))
        inbound = self.deliver(self.updates.contact(self.meera, "12"))
        self.flush_outbox()
        self.assertEqual(inbound.state, "ignored")
        self.assertIn("could not read this phone number", self.texts_to(self.meera)[-1])

    def test_replayed_update_is_stored_and_registered_once(self):
        self.register_chat(self.meera, "+919811122277")
        update = self.updates.text(self.meera, "Please call me")
        first, created = self.bot._receive_update(json.dumps(update))
        replay, created_again = self.bot._receive_update(json.dumps(update))
        self.assertEqual((first, created, created_again), (replay, True, False))
        first._process()
        self.assertEqual(self.Ticket.search_count([("partner_id", "=", first.partner_id.id)]), 1)

    def test_photo_is_downloaded_and_attached(self):
        self.register_chat(self.meera, "+919811122288")
        self.api.add_file("photo-1", b"\xff\xd8\xff\xe0 a jpeg", "photos/file_1.jpg")
        inbound = self.deliver(self.updates.photo(self.meera, "photo-1", caption="Broken part"))
        self.assertEqual(inbound.state, "done")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", inbound.ticket_id.id)]
        )
        self.assertEqual(attachment.raw, b"\xff\xd8\xff\xe0 a jpeg")
        self.assertEqual([c["file_id"] for c in self.api.sent("getFile")], ["photo-1"])

    def test_photo_telegram_cannot_hand_over_follows_the_request(self):
        self.register_chat(self.meera, "+919811122299")
        self.api.add_file("photo-2", b"jpeg bytes", "photos/file_2.jpg")
        self.api.down = True
        inbound = self.deliver(self.updates.photo(self.meera, "photo-2", caption="Leaking"))
        # registered at once with its text, and the request says what is missing
        self.assertEqual(inbound.state, "done")
        ticket = inbound.ticket_id
        self.assertIn("Leaking", ticket.description)
        self.assertIn("Files not received yet", ticket.description)
        self.assertFalse(ticket.attachment_ids)
        Door = self.env["autoreg.door.telegram"]
        Door._cron_fetch_missing_files()  # still down: waits
        self.assertTrue(inbound.telegram_missing_files)
        self.api.down = False
        Door._cron_fetch_missing_files()
        self.assertEqual(ticket.attachment_ids.raw, b"jpeg bytes")
        self.assertFalse(inbound.telegram_missing_files)

    def test_photo_never_handed_over_is_said_on_the_request(self):
        self.register_chat(self.meera, "+919811122277")
        self.api.down = True
        inbound = self.deliver(self.updates.photo(self.meera, "photo-lost"))
        self.assertEqual(inbound.state, "done")
        self.env["autoreg.door.telegram"]._cron_fetch_missing_files(give_up_days=0)
        self.assertFalse(inbound.telegram_missing_files)
        self.assertIn("never handed over", "".join(inbound.ticket_id.message_ids.mapped("body")))

    def test_malformed_updates_are_refused_with_a_reason(self):
        for raw, reason in (
            ("not json", "not JSON"),
            ('{"message": {}}', "no update_id"),
            ('[1, 2]', "no update_id"),
        ):
            with self.assertRaisesRegex(ValueError, reason):
                self.bot._receive_update(raw)
        self.assertFalse(self.Inbound.search([("telegram_bot_id", "=", self.bot.id)]))

    def test_sticker_without_text_registers_nothing(self):
        self.register_chat(self.meera, "+919811122200")
        inbound = self.deliver(self.updates.message(
            self.meera, sticker={"file_id": "st-1", "file_unique_id": "st1", "type": "regular",
                                 "width": 512, "height": 512, "is_animated": False,
                                 "is_video": False}))
        self.assertEqual((inbound.state, inbound.ticket_id), ("ignored", self.Ticket))

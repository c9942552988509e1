# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common import AutoregCase


class TestRequestRegistration(AutoregCase):
    def test_new_request_carries_channel_team_contact_and_content(self):
        # helpdesk_mgmt would assign tickets to their creator, the intake user.
        self.company.helpdesk_mgmt_ticket_auto_assign = True
        inbound = self.register_proven(
            self.web,
            "req-1",
            sender_name="María López",
            sender_email="maria@example.es",
            subject="Cita para el lunes",
            body="<p>¿Tienen hueco el lunes por la mañana?</p>",
            attachments=[{"name": "foto.jpg", "raw": b"\xff\xd8\xff fake jpeg"}],
        )

        ticket = inbound.ticket_id
        self.assertEqual(inbound.state, "done")
        self.assertEqual(ticket.name, "Cita para el lunes")
        self.assertIn("hueco el lunes", ticket.description)
        self.assertEqual(ticket.partner_id, inbound.partner_id)
        self.assertEqual(ticket.partner_email, "maria@example.es")
        self.assertEqual(ticket.channel_id, self.web)
        self.assertEqual(ticket.team_id, self.team)
        self.assertFalse(ticket.user_id, "assignment is left to the team's action")
        self.assertEqual(ticket.attachment_ids.mapped("name"), ["foto.jpg"])
        self.assertEqual(ticket.autoreg_inbound_ids, inbound)
        self.assertTrue(inbound.processed_date)

    def test_request_without_subject_is_named_after_the_customer(self):
        inbound = self.register_proven(
            self.chat, "req-2", sender_name="Ravi", sender_phone="+919900112233",
            body="<p>namaste</p>",
        )
        self.assertEqual(inbound.ticket_id.name, "Request from Ravi")

    def test_chat_messages_join_the_customers_open_request(self):
        first = self.register_proven(
            self.chat, "chat-1", sender_phone="+919900112233", body="<p>Hello</p>"
        )
        second = self.register_proven(
            self.chat,
            "chat-2",
            sender_phone="+91 99001 12233",
            body="<p>Any news about my order?</p>",
            attachments=[{"name": "receipt.png", "raw": b"\x89PNG fake"}],
        )

        ticket = first.ticket_id
        self.assertEqual(second.ticket_id, ticket)
        message = ticket.message_ids.filtered(
            lambda msg: "Any news about my order?" in (msg.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, first.partner_id)
        self.assertEqual(message.message_type, "comment")
        self.assertEqual(message.attachment_ids.mapped("name"), ["receipt.png"])

    def test_open_request_of_another_company_is_never_joined(self):
        shared = self.Partner.create({"name": "Shared customer", "phone": "+919900112299",
                                      "company_id": False})
        first = self.register(self.chat, "co-a", partner_id=shared.id, body="<p>In A</p>")
        other_company = self.env["res.company"].create({"name": "Company B"})
        team_b = self.env["helpdesk.ticket.team"].create(
            {"name": "Team B", "company_id": other_company.id})
        chat_b = self.env["helpdesk.ticket.channel"].create({
            "name": "Chat of B", "company_id": other_company.id,
            "autoreg_thread_policy": "open_ticket", "autoreg_team_id": team_b.id})
        second = self.register(chat_b, "co-b", partner_id=shared.id, body="<p>In B</p>",
                               company_id=other_company.id)
        self.assertNotEqual(second.ticket_id, first.ticket_id)
        self.assertEqual(second.ticket_id.company_id, other_company)
        self.assertNotIn("In B", "".join(first.ticket_id.message_ids.mapped("body")))

    def test_closed_request_is_not_reopened_by_a_new_message(self):
        first = self.register_proven(self.chat, "chat-a", sender_phone="+919900112244")
        closed = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        first.ticket_id.stage_id = closed

        second = self.register_proven(self.chat, "chat-b", sender_phone="+919900112244")

        self.assertNotEqual(second.ticket_id, first.ticket_id)
        self.assertFalse(second.ticket_id.stage_id.closed)

    def test_web_channel_opens_a_new_request_each_time(self):
        first = self.register_proven(self.web, "web-a", sender_email="twice@example.in")
        second = self.register_proven(self.web, "web-b", sender_email="twice@example.in")
        self.assertNotEqual(first.ticket_id, second.ticket_id)

    def test_team_action_runs_on_each_registered_message(self):
        """The extension point where assignment and notification plug in."""
        agent = self.env["res.users"].create(
            {"name": "Agent", "login": "intake-agent", "email": "agent@example.com"}
        )
        self.team.user_ids = agent
        self.team.autoreg_registered_action_id = self.env["ir.actions.server"].create(
            {
                "name": "Assign to the agent",
                "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id,
                "state": "code",
                "code": (
                    f"record.write({{'user_id': {agent.id}}})\n"
                    "record.message_post(body='registered: %s' "
                    "% env.context.get('autoreg_ticket_created'))"
                ),
            }
        )

        first = self.register_proven(self.chat, "hook-1", sender_phone="+919900112255")
        self.register_proven(self.chat, "hook-2", sender_phone="+919900112255")

        ticket = first.ticket_id
        self.assertEqual(ticket.user_id, agent)
        bodies = ticket.message_ids.mapped("body")
        self.assertTrue(any("registered: True" in body for body in bodies))
        self.assertTrue(any("registered: False" in body for body in bodies))

    def test_channel_without_team_uses_the_companys_first_team(self):
        self.web.autoreg_team_id = False
        inbound = self.register_proven(self.web, "default-team", sender_email="t@example.in")
        expected = self.env["helpdesk.ticket.team"].search(
            [("company_id", "in", [self.company.id, False])], limit=1
        )
        self.assertEqual(inbound.ticket_id.team_id, expected)

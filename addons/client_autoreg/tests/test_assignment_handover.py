# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A request changes hands: the new assignee is told once, the former one
is no longer reminded, and the request no longer says why intake chose
somebody else."""

import json

from .test_assignment import AssignmentCase


class TestAssignmentHandover(AssignmentCase):
    def emails_to(self, user, ticket):
        """The notifications by email ``user`` got about ``ticket``."""
        return self.env["mail.notification"].search(
            [
                ("res_partner_id", "=", user.partner_id.id),
                ("notification_type", "=", "email"),
                ("mail_message_id.model", "=", "helpdesk.ticket"),
                ("mail_message_id.res_id", "=", ticket.id),
            ]
        )

    def test_reassigning_by_hand_closes_the_former_assignees_activity(self):
        ticket = self.new_request()
        first = ticket.user_id
        self.assertTrue(ticket.autoreg_assignment_reason.startswith("Round-robin turn"))
        self.assertEqual(ticket.activity_ids.user_id, first)
        other = ((self.ana | self.bob | self.eva) - first)[0]

        ticket.with_user(self.lead).user_id = other

        self.assertEqual(ticket.activity_ids.user_id, other)
        self.assertEqual(ticket.autoreg_assignment_reason, "Assigned by hand by Lead")
        done = ticket.message_ids.filtered(lambda msg: "Reassigned" in (msg.body or ""))
        self.assertEqual(len(done), 1)
        self.assertEqual(done.author_id, self.lead.partner_id)

        # and once more: the second assignee's activity goes the same way
        third = (self.ana | self.bob | self.eva) - first - other
        ticket.with_user(self.lead).user_id = third
        self.assertEqual(ticket.activity_ids.user_id, third)

    def test_taking_a_request_oneself_explains_it(self):
        ticket = self.new_request()
        other = (self.ana | self.bob | self.eva) - ticket.user_id
        ticket.with_user(other[0]).user_id = other[0]
        self.assertEqual(ticket.autoreg_assignment_reason, f"Assigned by hand by {other[0].name}")
        self.assertFalse(ticket.activity_ids)  # nobody reminds themself

    def test_unassigning_clears_the_reason_and_the_reminder(self):
        ticket = self.new_request()
        ticket.with_user(self.lead).user_id = False
        self.assertFalse(ticket.autoreg_assignment_reason)
        self.assertFalse(ticket.activity_ids)

    def test_writing_the_same_assignee_changes_nothing(self):
        ticket = self.new_request()
        reason = ticket.autoreg_assignment_reason
        ticket.with_user(self.lead).write({"user_id": ticket.user_id.id, "priority": "2"})
        self.assertEqual(ticket.autoreg_assignment_reason, reason)
        self.assertEqual(len(ticket.activity_ids), 1)

    def test_batch_reassignment_only_touches_requests_that_change_hands(self):
        first, second = self.new_request(), self.new_request()
        reason = second.autoreg_assignment_reason
        (first | second).with_user(self.lead).write({"user_id": second.user_id.id})
        self.assertEqual(first.autoreg_assignment_reason, "Assigned by hand by Lead")
        self.assertEqual(second.autoreg_assignment_reason, reason)
        self.assertEqual(first.activity_ids.user_id, second.user_id)

    def test_automatic_assignment_emails_the_assignee_once(self):
        ticket = self.new_request()
        self.assertEqual(len(self.emails_to(ticket.user_id, ticket)), 1)

    def test_reassignment_by_hand_emails_the_new_assignee_once(self):
        ticket = self.new_request()
        other = ((self.ana | self.bob | self.eva) - ticket.user_id)[0]
        ticket.with_user(self.lead).user_id = other
        self.assertEqual(len(self.emails_to(other, ticket)), 1)

    def test_assignment_popup_names_the_request_it_opens(self):
        ticket = self.new_request()
        self.env.cr.precommit.run()  # the bus sends on commit
        popups = self.env["bus.bus"].sudo().search([("message", "like", ticket.number)])
        [popup] = [json.loads(bus.message) for bus in popups
                   if "client_autoreg/new_request" in bus.message]
        self.assertIn(ticket.number, popup["payload"]["title"])
        self.assertEqual(popup["payload"]["ticket_id"], ticket.id)

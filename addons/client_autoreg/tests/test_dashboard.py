# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common_mail import AutoregMailCase


class TestDashboardFigures(AutoregMailCase):
    """The overview's measures follow what happens to the messages."""

    def test_spam_rate_approval_rate_and_time_to_assignment(self):
        self.team.user_ids = self.user_employee
        self.user_employee.groups_id |= self.env.ref("client_autoreg.group_autoreg_user")
        known = self.deliver("Known Customer <known@customer.example>")
        approved = self.deliver("First <first@new.example>")
        rejected = self.deliver("Second <second@new.example>")
        approved.with_user(self.user_employee).action_approve_sender()
        rejected.with_user(self.user_employee).action_reject_spam()
        flagged = self.deliver("Third <third@new.example>", headers={"X-Spam-Flag": "YES"})

        messages = known | approved | rejected | flagged
        [(spam_rate,)] = self.Inbound._read_group(
            [("id", "in", messages.ids)], [], ["spam_rate:avg"])
        self.assertEqual(spam_rate, 50.0)  # 2 spam of 4
        # the review outcomes view: 1 approved of 2 reviewed
        [(approval_rate,)] = self.Inbound._read_group(
            [("id", "in", messages.ids), ("review_decision", "!=", False)], [],
            ["approval_rate:avg"])
        self.assertEqual(approval_rate, 50.0)
        self.assertEqual(known.ticket_id.user_id, self.user_employee)
        self.assertFalse(flagged.assignment_minutes)

    def test_minutes_to_assignment_count_the_wait_in_review(self):
        self.team.user_ids = self.user_employee
        self.user_employee.groups_id |= self.env.ref("client_autoreg.group_autoreg_user")
        held = self.deliver("Newcomer <newcomer@new.example>")
        # it arrived 45 minutes before the reviewer approved it
        self.env.cr.execute(
            "UPDATE autoreg_inbound SET create_date = create_date - interval '45 minutes' "
            "WHERE id = %s", (held.id,))
        held.invalidate_recordset(["create_date"])
        held.with_user(self.user_employee).action_approve_sender()
        self.assertEqual(held.ticket_id.user_id, self.user_employee)
        self.assertAlmostEqual(held.assignment_minutes, 45.0, delta=1.0)

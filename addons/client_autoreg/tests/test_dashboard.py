# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import statistics

from odoo import fields

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


class TestIntakeFiguresOfTheDay(AutoregMailCase):
    """The Overview's cards: the day's figures of each door."""

    FIGURES = ["received_count", "registered_count", "review_count", "spam_count",
               "error_count", "assigned_count", "median_assignment_minutes"]

    def figures_of_mail_today(self):
        """The row of the mail door for today, as an intake user reads it."""
        self.env.flush_all()  # the view reads the table, not the ORM's cache...
        self.env["autoreg.intake.figure"].invalidate_model()  # ...nor should we
        user = self.user_employee
        rows = self.env["autoreg.intake.figure"].with_user(user).search_read(
            [("door", "=", "mail"), ("day", "=", self.today),
             ("company_id", "=", self.env.company.id)],
            ["day", "door", "company_id", *self.FIGURES],
        )
        self.assertEqual(len(rows), 1, "one row per day, door and company")
        return rows[0]

    def test_the_card_of_the_mail_door_counts_today_s_messages(self):
        self.team.user_ids = self.user_employee
        self.user_employee.groups_id |= self.env.ref("client_autoreg.group_autoreg_user")
        self.today = self.env.cr.now().date()  # the UTC day of create_date
        # today's row exists before anything arrives, with zeros if need be
        before = self.figures_of_mail_today()

        known = self.deliver("Known Customer <known@customer.example>")
        unknown = self.deliver("Newcomer <newcomer@new.example>")
        spam = self.deliver("Spammer <offer@spam.example>", headers={"X-Spam-Flag": "YES"})
        self.assertEqual((known.state, unknown.state, spam.state), ("done", "review", "spam"))
        self.assertEqual(known.create_date.date(), self.today)
        self.assertEqual(known.ticket_id.user_id, self.user_employee)

        # Waits in whole minutes, so that the card's one decimal is exact: the
        # day's other assigned mail (demo data, earlier tests) waited 1 minute.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE autoreg_inbound SET assignment_minutes = CASE WHEN id = %s THEN 5 ELSE 1 END "
            "WHERE door = 'mail' AND assignment_minutes IS NOT NULL "
            "AND create_date >= %s", (known.id, fields.Datetime.to_datetime(self.today)))
        self.Inbound.invalidate_model(["assignment_minutes"])
        after = self.figures_of_mail_today()
        self.assertEqual(after["company_id"][0], known.company_id.id)
        added = {name: after[name] - before[name] for name in self.FIGURES[:-1]}
        self.assertEqual(added, {
            "received_count": 3,
            "registered_count": 1,
            "review_count": 1,
            "spam_count": 1,
            "error_count": 0,
            "assigned_count": 1,
        })
        assigned = self.Inbound.search([
            ("door", "=", "mail"), ("company_id", "=", self.env.company.id),
            ("create_date", ">=", fields.Datetime.to_datetime(self.today)),
            ("assignment_minutes", "!=", False),
        ])
        self.assertIn(known, assigned)
        self.assertAlmostEqual(
            after["median_assignment_minutes"],
            statistics.median(max(minutes, 0) for minutes in assigned.mapped("assignment_minutes")),
            delta=0.05)  # shown with one decimal

        # each figure opens the messages it counts
        figure = self.env["autoreg.intake.figure"].with_user(self.user_employee).browse(
            after["id"])
        opened = {}
        for name in ("received_count", "review_count", "spam_count", "assigned_count"):
            action = figure.with_context(autoreg_figure=name).action_open_messages()
            self.assertEqual(action["res_model"], "autoreg.inbound")
            opened[name] = self.Inbound.search(action["domain"])
            self.assertEqual(len(opened[name]), after[name])
        self.assertLessEqual(known | unknown | spam, opened["received_count"])
        self.assertIn(unknown, opened["review_count"])
        self.assertNotIn(known, opened["review_count"])
        self.assertIn(spam, opened["spam_count"])
        self.assertIn(known, opened["assigned_count"])

    def test_every_door_has_a_card_today_in_the_companies_of_the_user(self):
        other = self.env["res.company"].create({"name": "Other Intake Company"})
        self.user_employee.groups_id |= self.env.ref("client_autoreg.group_autoreg_user")
        today = self.env.cr.now().date()
        Figure = self.env["autoreg.intake.figure"]
        rows = Figure.search_read(
            [("day", "=", today), ("company_id", "=", other.id)],
            ["door", *self.FIGURES])
        self.assertEqual(sorted(row["door"] for row in rows), ["mail", "telegram", "website"])
        for row in rows:
            self.assertEqual([row[name] for name in self.FIGURES], [0, 0, 0, 0, 0, 0, 0.0])
        # the companies rule: a user of another company does not see them
        self.assertNotIn(other, self.user_employee.company_ids)
        self.assertFalse(Figure.with_user(self.user_employee).search(
            [("company_id", "=", other.id)]))
        self.assertTrue(Figure.with_user(self.user_employee).search(
            [("day", "=", today), ("company_id", "=", self.user_employee.company_id.id)]))

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import AutoregCase


class TestAccessRights(AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Company"})
        cls.other_channel = cls.env["helpdesk.ticket.channel"].create(
            {
                "name": "Other web",
                "company_id": cls.other_company.id,
                "autoreg_team_id": cls.env["helpdesk.ticket.team"]
                .create({"name": "Other team", "company_id": cls.other_company.id})
                .id,
            }
        )
        cls.own = cls.register(cls.web, "acl-1", sender_name="?")
        cls.foreign = cls.register(cls.other_channel, "acl-2", sender_email="x@other.example")
        cls.user = new_test_user(
            cls.env, "intake-user", groups="client_autoreg.group_autoreg_user"
        )
        cls.manager = new_test_user(
            cls.env, "intake-manager", groups="client_autoreg.group_autoreg_manager"
        )
        cls.employee = new_test_user(cls.env, "plain-employee", groups="base.group_user")

    def test_user_reads_own_company_messages_only(self):
        visible = self.Inbound.with_user(self.user).search([])
        self.assertIn(self.own, visible)
        self.assertNotIn(self.foreign, visible)
        self.assertEqual(self.own.with_user(self.user).state, "error")

    def test_user_can_neither_change_nor_delete_nor_retry(self):
        own = self.own.with_user(self.user)
        with self.assertRaises(AccessError):
            own.write({"error_message": "edited"})
        with self.assertRaises(AccessError):
            own.unlink()
        with self.assertRaises(AccessError):
            own.action_retry()
        with self.assertRaises(AccessError):
            self.Inbound.with_user(self.user).create(
                {"channel_id": self.web.id, "idempotency_key": "forged", "door": "website"}
            )

    def test_employee_without_intake_group_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.Inbound.with_user(self.employee).search([])

    def test_manager_retries_a_failed_message(self):
        self.own.sender_email = "fixed@example.in"
        self.own.with_user(self.manager).action_retry()
        self.assertEqual(self.own.state, "done", self.own.error_message)
        self.assertTrue(self.own.ticket_id)

    def test_manager_does_not_see_other_companies_either(self):
        visible = self.Inbound.with_user(self.manager).search([])
        self.assertNotIn(self.foreign, visible)

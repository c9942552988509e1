# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError, UserError
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


class TestEntryPointsByRole(AutoregCase):
    """What an RPC call can do, role by role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.helpdesk_manager = new_test_user(
            cls.env, "helpdesk-manager", groups="helpdesk_mgmt.group_helpdesk_manager")
        cls.portal = new_test_user(cls.env, "portal-customer", groups="base.group_portal")
        cls.intake_manager = new_test_user(
            cls.env, "intake-boss", groups="client_autoreg.group_autoreg_manager")
        cls.bot = cls.env["autoreg.telegram.bot"].create(
            {"name": "Role bot", "token": "123:role", "api_url": "http://127.0.0.1:9"})

    def test_only_administrators_choose_the_action_run_with_intake_rights(self):
        snoop = self.env["ir.actions.server"].create({
            "name": "Copy every request elsewhere", "state": "code", "code": "pass",
            "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id})
        with self.assertRaises(AccessError):
            self.team.with_user(self.helpdesk_manager).write(
                {"autoreg_registered_action_id": snoop.id})
        self.team.write({"autoreg_registered_action_id": snoop.id})  # administrator
        self.assertEqual(self.team.autoreg_registered_action_id, snoop)

    def test_bot_buttons_are_refused_to_anyone_but_intake_managers(self):
        secret = self.bot.webhook_secret
        for user in (self.portal, self.helpdesk_manager):
            bot = self.bot.with_user(user)
            for button in ("action_new_webhook_secret", "action_set_webhook",
                           "action_check_connection", "action_poll"):
                with self.subTest(user=user.login, button=button), \
                        self.assertRaises(AccessError):
                    getattr(bot, button)()
        self.assertEqual(self.bot.webhook_secret, secret)

    def test_unreachable_telegram_is_said_in_plain_words(self):
        bot = self.bot.with_user(self.intake_manager)
        for button in ("action_check_connection", "action_poll"):
            with self.subTest(button=button), \
                    self.assertRaisesRegex(UserError, "could not be reached"):
                getattr(bot, button)()

    def test_agent_without_intake_rights_opens_requests_of_telegram_customers(self):
        agent = new_test_user(self.env, "plain-agent", groups="helpdesk_mgmt.group_helpdesk_user")
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "From Telegram", "description": "x", "team_id": self.team.id})
        self.env["autoreg.telegram.message"].create({
            "chat_id": self.env["autoreg.telegram.chat"].create(
                {"bot_id": self.bot.id, "chat_id": "77"}).id,
            "ticket_id": ticket.id, "text": "hello", "state": "failed"})
        form_fields = ["name", "autoreg_telegram_undelivered", "autoreg_assignment_reason"]
        [values] = ticket.with_user(agent).read(form_fields)
        self.assertEqual(values["autoreg_telegram_undelivered"], 1)

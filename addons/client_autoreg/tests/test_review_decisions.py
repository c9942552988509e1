# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reviewer's day: the buttons they may use, what a decision tells
them, and a held message they can read without following its links."""

import re

from lxml import etree

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common_mail import AutoregMailCase

REVIEW_BUTTONS = ("action_approve_sender", "action_approve_domain", "action_reject_spam")
PHISHING = (
    '<p>Your account is locked. <a href="https://evil.example/login?u=1">Unlock it</a> '
    'or write to <a href="mailto:help@evil.example">help@evil.example</a>.'
    '<img src="https://tracker.example/pixel.gif" alt="logo"></p>'
)


@tagged("post_install", "-at_install")
class TestReviewDecisions(AutoregMailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        intake_user = "base.group_user,client_autoreg.group_autoreg_user"
        cls.reviewer = mail_new_test_user(
            cls.env, login="review-carla", name="Carla Reviewer", groups=intake_user
        )
        cls.colleague = mail_new_test_user(
            cls.env, login="review-priya", name="Priya Colleague", groups=intake_user
        )
        cls.manager = mail_new_test_user(
            cls.env, login="review-manager", name="Intake Manager",
            groups="base.group_user,client_autoreg.group_autoreg_manager",
        )
        cls.team.autoreg_reviewer_id = cls.reviewer

    def form_arch(self, user=None):
        env = self.env(user=user) if user else self.env
        views = env["autoreg.inbound"].get_views([(False, "form")])
        return etree.fromstring(views["views"]["form"]["arch"])

    @staticmethod
    def shown(node, record):
        """Whether the node is visible for ``record``, as the web client decides."""
        expression = node.get("invisible")
        if not expression:
            return True
        names = set(re.findall(r"[a-z_]+", expression)) & set(record._fields)
        values = {}
        for name in names:
            value = record[name]
            values[name] = value.id if record._fields[name].type == "many2one" else value
        return not safe_eval(expression, values)

    # ------------------------------------------------------------------
    # 1. The review buttons, only for those who may press them
    # ------------------------------------------------------------------

    def test_review_buttons_show_only_to_the_reviewer_and_managers(self):
        held = self.deliver("Stranger <stranger@elsewhere.example>")
        self.assertEqual(held.state, "review")
        for user, may in ((self.reviewer, True), (self.manager, True), (self.colleague, False)):
            record = held.with_user(user)
            record.invalidate_recordset(["can_review"])
            self.assertEqual(record.can_review, may, user.login)
            arch = self.form_arch(user)
            for name in REVIEW_BUTTONS:
                [button] = arch.xpath(f"//button[@name='{name}']")
                self.assertEqual(self.shown(button, record), may, f"{user.login}: {name}")

    def test_the_team_leader_reviews_when_nobody_is_named(self):
        self.team.write({"autoreg_reviewer_id": False, "user_id": self.colleague.id})
        held = self.deliver("Stranger <stranger2@elsewhere.example>")
        self.assertTrue(held.with_user(self.colleague).can_review)
        self.assertFalse(held.with_user(self.reviewer).can_review)

    # ------------------------------------------------------------------
    # 2. A decision says what it did; the form shows where the message went
    # ------------------------------------------------------------------

    def test_approving_says_what_happened_and_clears_the_banner(self):
        held = self.deliver("Asha <asha@newfirm.example>")
        self.assertEqual(held.filter_reason, "Unknown sender")

        action = held.with_user(self.reviewer).action_approve_sender()

        self.assertEqual(held.state, "done")
        self.assertFalse(held.filter_reason)
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        # the form reloads its record (see _review_notification)
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        message = action["params"]["message"]
        self.assertIn(held.ticket_id.display_name, message)
        self.assertIn("asha@newfirm.example", message)

    def test_approved_sender_gets_a_request_with_their_name_and_address(self):
        held = self.deliver('"Meera Iyer" <meera.iyer@gmail.com>')
        held.with_user(self.reviewer).action_approve_sender()
        ticket = held.ticket_id
        partner = ticket.partner_id
        self.assertEqual((partner.name, partner.email), ("Meera Iyer", "meera.iyer@gmail.com"))
        # a mail says nothing of the country: the contact is left without one
        self.assertFalse(partner.country_id)
        self.assertEqual(ticket.partner_name, "Meera Iyer")
        self.assertEqual(ticket.partner_email, "meera.iyer@gmail.com")

    def test_approving_a_domain_names_it(self):
        held = self.deliver("Luis <luis@partner-firm.example>")
        action = held.with_user(self.reviewer).action_approve_domain()
        self.assertIn("anyone at partner-firm.example", action["params"]["message"])

    def test_rejecting_says_what_happened(self):
        held = self.deliver("Offers <offers@spammy.example>")

        action = held.with_user(self.reviewer).action_reject_spam()

        self.assertEqual(held.state, "spam")
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"]["type"], "ir.actions.act_window_close")
        self.assertIn("offers@spammy.example", action["params"]["message"])
        self.assertIn("spam", action["params"]["message"])

    def assertStatusbar(self, inbound, expected):
        """The status bar shown for ``inbound`` lists ``expected`` (the
        current state is always added by the web client)."""
        bars = [
            node for node in self.form_arch().xpath("//field[@name='state'][@widget='statusbar']")
            if self.shown(node, inbound)
        ]
        self.assertEqual(len(bars), 1, f"{inbound.state}: {len(bars)} status bars shown")
        visible = bars[0].get("statusbar_visible").split(",")
        shown = [state for state, _label in inbound._fields["state"].selection
                 if state in visible or state == inbound.state]
        self.assertEqual(shown, expected)

    def test_status_bar_shows_the_states_the_message_went_through(self):
        held = self.deliver("Maya <maya@elsewhere.example>")
        self.assertStatusbar(held, ["received", "review", "done"])
        rejected = self.deliver("Offers <offers2@spammy.example>")
        rejected.with_user(self.reviewer).action_reject_spam()
        self.assertStatusbar(rejected, ["received", "review", "spam"])
        held.with_user(self.reviewer).action_approve_sender()
        self.assertStatusbar(held, ["received", "review", "done"])
        known = self.deliver("Known Customer <known@customer.example>")
        self.assertStatusbar(known, ["received", "done"])
        flagged = self.deliver("Bulk <bulk@new.example>", headers={"X-Spam-Flag": "YES"})
        self.assertEqual(flagged.state, "spam")
        self.assertStatusbar(flagged, ["received", "spam"])

    # ------------------------------------------------------------------
    # 3. Held mail is read with its links disarmed; public domains stay closed
    # ------------------------------------------------------------------

    def test_held_message_is_shown_with_its_links_disarmed(self):
        held = self.deliver("Bank <security@bank-alerts.example>", html=PHISHING)
        self.assertEqual(held.state, "review")
        self.assertIn("evil.example/login", held.body)  # kept as it came

        shown = str(held.with_user(self.reviewer).body_display)
        self.assertNotIn("<a", shown)
        self.assertNotIn("href", shown)
        self.assertNotIn("tracker.example", shown)
        self.assertIn("Unlock it [https://evil.example/login?u=1]", shown.replace("&amp;", "&"))
        self.assertIn("help@evil.example", shown)
        self.assertNotIn("[mailto:", shown)  # the address is the text already
        self.assertIn("[logo]", shown)

        arch = self.form_arch(self.reviewer)
        [body] = arch.xpath("//field[@name='body']")
        [display] = arch.xpath("//field[@name='body_display']")
        for state, disarmed in (("review", True), ("spam", True), ("ignored", True),
                                ("done", False)):
            held.state = state
            self.assertEqual(self.shown(display, held), disarmed, state)
            self.assertEqual(self.shown(body, held), not disarmed, state)

    def test_disarming_keeps_text_and_survives_odd_markup(self):
        disarm = self.Inbound._disarm
        self.assertFalse(disarm(False))
        self.assertIn("plain words", disarm("plain words"))
        nested = disarm('<p><a href="https://x.example/"><b>bold</b> link</a> after</p>')
        self.assertIn("<b>bold</b> link [https://x.example/]", nested)
        self.assertIn("after", nested)
        self.assertNotIn("href", disarm('<a href="javascript:alert(1)">x</a>'))
        self.assertNotIn("<a", disarm("<p><a name='top'>anchor</a></p>"))

    def test_public_mail_provider_domains_are_never_approved(self):
        held = self.deliver("Ravi <Ravi.Kumar@GMail.com>")
        self.assertTrue(held.sender_domain_public)
        [button] = self.form_arch(self.reviewer).xpath("//button[@name='action_approve_domain']")
        self.assertFalse(self.shown(button, held.with_user(self.reviewer)))

        with self.assertRaisesRegex(UserError, "gmail.com is a public mail provider"):
            held.with_user(self.reviewer).action_approve_domain()
        self.assertEqual(held.state, "review")
        rules = self.env["autoreg.sender.rule"].search([("value", "=", "gmail.com")])
        self.assertFalse(rules)

        held.with_user(self.reviewer).action_approve_sender()  # the address alone is fine
        self.assertEqual(held.state, "done")
        other = self.deliver("Someone <someone.else@gmail.com>", subject="Another")
        self.assertEqual(other.state, "review")

    def test_a_company_domain_may_be_approved(self):
        held = self.deliver("Ana <ana@acme-industries.example>")
        self.assertFalse(held.sender_domain_public)

    # ------------------------------------------------------------------
    # 7. The lists around the review
    # ------------------------------------------------------------------

    def test_sender_rules_say_who_decided_and_when(self):
        held = self.deliver("Offers <offers3@spammy.example>")
        held.with_user(self.reviewer).action_reject_spam()
        rule = self.env["autoreg.sender.rule"].search([("inbound_id", "=", held.id)])
        self.assertEqual(rule.decided_uid, self.reviewer)
        self.assertTrue(rule.decided_date)

        # a manager changes their mind: the latest decision is shown
        rule.with_user(self.manager).action = "allow"
        self.assertEqual(rule.decided_uid, self.manager)

        Rule = self.env["autoreg.sender.rule"]
        arch = etree.fromstring(Rule.get_views([(False, "list")])["views"]["list"]["arch"])
        columns = [node.get("name") for node in arch.xpath("//field")]
        self.assertIn("decided_date", columns)
        self.assertEqual(Rule._fields["decided_date"].string, "Decided on")
        self.assertEqual(Rule._fields["decided_date"].type, "datetime")
        self.assertNotEqual(Rule._fields["inbound_id"].string, "Decided on")

    def test_empty_lists_explain_themselves(self):
        for xmlid in ("autoreg_inbound_action_review", "autoreg_inbound_action_error",
                      "autoreg_telegram_chat_action"):
            action = self.env.ref(f"client_autoreg.{xmlid}")
            self.assertIn("o_view_nocontent", action.help or "", xmlid)

    def test_review_outcomes_count_the_messages(self):
        view = self.env.ref("client_autoreg.autoreg_inbound_view_pivot_review")
        self.assertEqual(etree.fromstring(view.arch).get("display_quantity"), "1")

    def test_team_form_says_who_reviews_by_default(self):
        views = self.env["helpdesk.ticket.team"].get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        [reviewer] = arch.xpath("//field[@name='autoreg_reviewer_id']")
        self.assertEqual(reviewer.get("placeholder"), "Team leader")

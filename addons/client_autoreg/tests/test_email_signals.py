# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common_mail import AutoregMailCase

KNOWN = "known@customer.example"


@tagged("post_install", "-at_install")
class TestEmailSignals(AutoregMailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The company's receiving server signs its verdicts "mx.example".
        cls.env["ir.config_parameter"].set_param("client_autoreg.mail_authserv_ids", "mx.example")

    def assertFiltered(self, inbound, state, reason):
        self.assertEqual(inbound.state, state)
        self.assertIn(reason, inbound.filter_reason)
        self.assertFalse(inbound.ticket_id)
        self.assertFalse(inbound.activity_ids)
        self.assertFalse(self._new_mails, "no automatic answer is sent")

    def test_upstream_spam_flag_wins_over_a_known_sender(self):
        inbound = self.deliver(KNOWN, headers={"X-Spam-Flag": "YES"})
        self.assertFiltered(inbound, "spam", "X-Spam-Flag")

    def test_upstream_spam_status(self):
        inbound = self.deliver(KNOWN, headers={"X-Spam-Status": "Yes, score=7.1 required=5.0"})
        self.assertFiltered(inbound, "spam", "X-Spam-Status")

    def test_spam_score_threshold_is_configurable(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "client_autoreg.spam_score_threshold", "8"
        )
        below = self.deliver(KNOWN, subject="Below", headers={"X-Spam-Score": "7.5"})
        above = self.deliver(KNOWN, subject="Above", headers={"X-Spam-Score": "8.2"})
        self.assertEqual(below.state, "done")
        self.assertFiltered(above, "spam", "Spam score 8.2")

    def test_forged_known_address_with_failed_dmarc_is_spam(self):
        inbound = self.deliver(
            KNOWN,
            headers={"Authentication-Results": "mx.example; spf=fail smtp.mailfrom=evil.example; "
                     "dkim=none; dmarc=fail header.from=customer.example"},
        )
        self.assertFiltered(inbound, "spam", "DMARC")
        self.assertFalse(inbound.partner_id)

    def test_failed_spf_is_not_trusted_even_for_a_known_address(self):
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results": "mx.example; spf=fail; dkim=none"}
        )
        self.assertEqual(inbound.state, "review")
        self.assertTrue(inbound.sender_unverified)
        self.assertIn("SPF", inbound.filter_reason)
        self.assertFalse(inbound.partner_id)
        self.assertTrue(inbound.activity_ids)

    def test_dmarc_pass_keeps_a_forwarded_mail_trusted(self):
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results": "mx.example; spf=fail; dkim=pass; dmarc=pass"}
        )
        self.assertEqual(inbound.state, "done")

    def test_dmarc_pass_proves_the_address(self):
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results": "mx.example; dmarc=pass header.from=x"}
        )
        self.assertEqual(inbound.sender_email_proof, "mail")
        self.assertEqual(inbound.partner_id, self.customer)

    def test_verdict_text_injected_in_a_property_proves_nothing(self):
        # An envelope sender chosen by the attacker reads "dmarc=pass".
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results":
                            "mx.example; spf=fail smtp.mailfrom=dmarc=pass@attacker.example; "
                            "dmarc=fail header.from=customer.example"},
        )
        self.assertFiltered(inbound, "spam", "DMARC")

    def test_verdicts_of_another_server_are_not_evidence(self):
        # Written by the sender (or a server on the way), not by ours.
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results": "mx.attacker.example; dmarc=pass"}
        )
        self.assertEqual(inbound.sender_email_proof, "mailbox")
        failed_elsewhere = self.deliver(
            KNOWN, subject="Other", headers={"Authentication-Results":
                                             "relay.example; spf=fail; dmarc=fail"},
        )
        self.assertEqual(failed_elsewhere.state, "done")

    def test_mail_without_results_matches_known_addresses_by_default(self):
        inbound = self.deliver(KNOWN)
        self.assertEqual(inbound.state, "done")
        self.assertEqual(inbound.sender_email_proof, "mailbox")

    def test_mail_without_results_can_be_held_for_review(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.mail_unauthenticated", "review")
        inbound = self.deliver(KNOWN)
        self.assertEqual(inbound.state, "review")
        self.assertIn("No authentication results", inbound.filter_reason)
        self.assertFalse(inbound.partner_id)

    def test_malformed_results_header_proves_nothing(self):
        inbound = self.deliver(
            KNOWN, headers={"Authentication-Results": "mx.example;;; dmarc="}
        )
        self.assertEqual(inbound.state, "done")
        self.assertEqual(inbound.sender_email_proof, "mailbox")

    def test_auto_reply_never_creates_a_request(self):
        inbound = self.deliver(
            KNOWN, subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
        )
        self.assertFiltered(inbound, "ignored", "Auto-Submitted")

    def test_outlook_mail_asking_for_no_auto_reply_is_a_real_request(self):
        inbound = self.deliver(KNOWN, headers={"X-Auto-Response-Suppress": "All"})
        self.assertEqual(inbound.state, "done")

    def test_bulk_mail_is_ignored(self):
        inbound = self.deliver(KNOWN, subject="Newsletter", headers={"Precedence": "bulk"})
        self.assertFiltered(inbound, "ignored", "bulk")

    def test_mail_from_blacklisted_address_is_spam(self):
        self.env["mail.blacklist"]._add("known@customer.example")
        inbound = self.deliver(KNOWN)
        self.assertFiltered(inbound, "spam", "blacklist")

    def test_blocked_domain_is_spam(self):
        self.env["autoreg.sender.rule"].create(
            {"kind": "domain", "value": "@Customer.example", "action": "block"}
        )
        inbound = self.deliver(KNOWN)
        self.assertFiltered(inbound, "spam", "Blocked sender")

    def test_allowed_address_beats_a_blocked_domain(self):
        Rule = self.env["autoreg.sender.rule"]
        Rule.create({"kind": "domain", "value": "customer.example", "action": "block"})
        Rule.create({"kind": "address", "value": KNOWN, "action": "allow"})
        inbound = self.deliver(KNOWN)
        self.assertEqual(inbound.state, "done")

    def test_settings_show_rule_counts_and_set_the_threshold(self):
        Rule = self.env["autoreg.sender.rule"]
        Rule.create([
            {"kind": "address", "value": "a@allowed.example", "action": "allow"},
            {"kind": "domain", "value": "allowed.example", "action": "allow"},
            {"kind": "domain", "value": "blocked.example", "action": "block"},
        ])
        settings = self.env["res.config.settings"].create({"autoreg_spam_score_threshold": 3})
        settings.execute()

        self.assertEqual(settings.autoreg_allowed_count, 2)
        self.assertEqual(settings.autoreg_blocked_count, 1)
        inbound = self.deliver(KNOWN, headers={"X-Spam-Score": "3.5"})
        self.assertFiltered(inbound, "spam", "Spam score 3.5")

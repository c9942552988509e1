# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common import AutoregCase


class TestInboundErrors(AutoregCase):
    def _archive_all_teams(self):
        self.env["helpdesk.ticket.team"].search([]).action_archive()

    def test_failure_is_kept_with_its_reason_and_retried(self):
        self._archive_all_teams()
        partners = self.Partner.search_count([])

        inbound = self.register(
            self.web, "err-1", sender_email="newbie@example.in", subject="Broken"
        )

        self.assertEqual(inbound.state, "error")
        self.assertIn("No active helpdesk team", inbound.error_message)
        self.assertIn(self.web.name, inbound.error_message)
        self.assertFalse(inbound.ticket_id)
        # The whole step was undone: no half-registered contact either.
        self.assertEqual(self.Partner.search_count([]), partners)
        self.assertTrue(inbound.payload)

        self.team.action_unarchive()
        inbound.action_retry()

        self.assertEqual(inbound.state, "done")
        self.assertFalse(inbound.error_message)
        self.assertEqual(inbound.attempt_count, 2)
        self.assertEqual(inbound.ticket_id.name, "Broken")

    def test_failing_team_action_leaves_the_message_in_error(self):
        self.team.autoreg_registered_action_id = self.env["ir.actions.server"].create(
            {
                "name": "Broken assignment",
                "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id,
                "state": "code",
                "code": "raise UserError('no agent is available')",
            }
        )
        tickets = self.Ticket.search_count([])

        inbound = self.register(self.web, "err-2", sender_email="a@example.in")

        self.assertEqual(inbound.state, "error")
        self.assertEqual(inbound.error_message, "no agent is available")
        self.assertEqual(self.Ticket.search_count([]), tickets)

        self.team.autoreg_registered_action_id = False
        inbound.action_retry()
        self.assertEqual(inbound.state, "done")
        self.assertEqual(self.Ticket.search_count([]), tickets + 1)

    def test_message_without_sender_identity_is_explained(self):
        inbound = self.register(self.web, "err-3", sender_name="Nobody", body="<p>hi</p>")
        self.assertEqual(inbound.state, "error")
        self.assertIn("neither an email address nor a phone number", inbound.error_message)

    def test_one_failure_does_not_stop_the_others(self):
        Inbound = self.Inbound
        broken, _created = Inbound._store(
            "website", "batch-1", {"channel_id": self.web.id, "sender_name": "?"}
        )
        good, _created = Inbound._store(
            "website", "batch-2", {"channel_id": self.web.id, "sender_email": "good@example.in"}
        )

        processed = Inbound._cron_process_received()

        self.assertGreaterEqual(processed, 2)
        self.assertEqual(broken.state, "error")
        self.assertEqual(good.state, "done")

    def test_registered_message_cannot_be_retried(self):
        inbound = self.register(self.web, "err-4", sender_email="done@example.in")
        with self.assertRaisesRegex(Exception, "Only received or failed"):
            inbound.action_retry()

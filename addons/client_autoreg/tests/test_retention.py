# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields

from .common import AutoregCase


class TestRetention(AutoregCase):
    """Each category expires as the company set, and not before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Retention = cls.env["autoreg.retention"]
        cls.params = cls.env["ir.config_parameter"]

    def aged(self, records, days, field="create_date"):
        """Make ``records`` ``days`` old."""
        self.env.flush_all()
        when = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            f"UPDATE {records._table} SET {field} = %s WHERE id IN %s",  # noqa: S608
            (when, tuple(records.ids)),
        )
        records.invalidate_recordset()
        return records

    def message(self, key, state=None, **values):
        inbound = self.register(self.web, key, sender_email=f"{key}@example.in",
                                body="<p>My address is 12 MG Road</p>",
                                attachments=[{"name": "id-card.png", "raw": b"\x89PNG card"}],
                                **values)
        if state:
            inbound.sudo().write({"state": state})
        return inbound

    def test_registered_messages_lose_their_raw_copy_when_expired_and_not_before(self):
        self.params.set_param("client_autoreg.retention_registered_days", 30)
        old = self.aged(self.message("old-request"), 31)
        young = self.aged(self.message("young-request"), 29)
        self.assertEqual(old.state, "done")

        self.Retention._cron_purge(auto_commit=False)

        self.assertFalse(old.payload)
        self.assertFalse(old.body)
        self.assertFalse(old.attachment_ids)
        self.assertTrue(old.ticket_id.exists(), "the request stays with the helpdesk")
        self.assertIn("12 MG Road", old.ticket_id.description)
        self.assertTrue(young.payload and young.attachment_ids)
        log = self.env["autoreg.retention.log"].search([("category", "=", "registered_payload")])
        self.assertEqual(sum(log.mapped("count")), 1)

    def test_blocked_data_outlives_its_retention_period_until_the_block_ends(self):
        self.params.set_param("client_autoreg.retention_spam_days", 10)
        blocked = self.aged(self.message("spam-blocked", state="spam"), 11)
        other = self.aged(self.message("spam-other", state="spam"), 11)
        until = fields.Date.today() + timedelta(days=365)
        self.env["autoreg.blockable"]._autoreg_block(blocked, until)

        self.Retention._cron_purge(auto_commit=False)

        self.assertFalse(other.exists())
        kept = blocked.sudo().with_context(active_test=False)
        self.assertTrue(kept.exists(), "blocked data waits for its own date")
        self.assertTrue(kept.payload)

    def test_spam_and_unreviewed_messages_are_deleted_with_their_files(self):
        self.params.set_param("client_autoreg.retention_spam_days", 10)
        self.params.set_param("client_autoreg.retention_review_days", 20)
        spam = self.aged(self.message("spam-1", state="spam"), 11)
        held = self.aged(self.message("held-1", state="review"), 21)
        recent_held = self.aged(self.message("held-2", state="review"), 19)
        files = (spam | held).attachment_ids

        self.Retention._cron_purge(auto_commit=False)

        self.assertFalse(spam.exists() or held.exists() or files.exists())
        self.assertTrue(recent_held.exists())

    def test_zero_keeps_everything(self):
        for name in ("registered", "spam", "review", "telegram", "consent", "duplicate"):
            self.params.set_param(f"client_autoreg.retention_{name}_days", 0)
        ancient = self.aged(self.message("ancient", state="spam"), 3650)
        self.assertFalse(any(self.Retention._cron_purge(auto_commit=False).values()))
        self.assertTrue(ancient.exists())

    def test_a_run_stopped_half_way_resumes_without_double_work(self):
        self.params.set_param("client_autoreg.retention_spam_days", 10)
        spam = self.env["autoreg.inbound"]
        for index in range(5):
            spam |= self.message(f"batch-{index}", state="spam")
        self.aged(spam, 11)
        # A first run handles one batch of 2, then its worker dies...
        self.assertEqual(self.Retention._purge("spam", batch=2, max_batches=1), 2)
        self.assertEqual(len(spam.exists()), 3, "what is not done yet is kept")
        # ...the next run takes up the rest, and nothing is done twice.
        self.assertEqual(self.Retention._purge("spam", batch=2), 3)
        self.assertFalse(spam.exists())
        self.assertEqual(self.Retention._purge("spam", batch=2), 0)
        counts = self.env["autoreg.retention.log"].search(
            [("category", "=", "spam")], order="id").mapped("count")
        self.assertEqual(counts, [2, 2, 1])

    def test_confirmed_consents_are_kept_the_others_expire(self):
        self.params.set_param("client_autoreg.retention_consent_days", 30)
        partner = self.Partner.create({"name": "Consenting", "email": "c@example.in"})
        news = self.env["mailing.list"].create({"name": "News"})
        Consent = self.env["autoreg.consent"]
        confirmed, refused = Consent.create([
            {"partner_id": partner.id, "email": "c@example.in", "mailing_list_id": news.id,
             "state": state} for state in ("confirmed", "refused")])
        self.aged(confirmed | refused, 40, "consent_date")

        self.Retention._cron_purge(auto_commit=False)

        self.assertTrue(confirmed.exists())
        self.assertFalse(refused.exists())

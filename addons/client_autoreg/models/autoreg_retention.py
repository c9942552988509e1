# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How long intake keeps what it stored, per category (GDPR art. 5(1)(e)).

The company sets a period per category on the settings screen (0: keep);
the nightly job purges or anonymises what expired, in batches, and writes
one log line per category and run with the count (never the data). It
selects what is expired and not yet purged, so a run stopped half-way (a
killed worker) resumes where it was, without doing anything twice.

Categories (``CATEGORIES``):

- raw messages that were registered or passed on: the raw payload, the
  copy of the text and the files kept on the inbound message are erased;
  the request itself keeps what the helpdesk keeps;
- spam and ignored messages: deleted with their files;
- messages still waiting for review: deleted with their files;
- Telegram messages sent (the outbox): deleted;
- consent records that never became or no longer are a subscription
  (refused, or never confirmed): deleted; confirmed consents are proof and
  stay while the subscription lasts;
- pairs of likely duplicates that were merged or dismissed: deleted.
"""

import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

BATCH = 1000
# category: (setting, model, domain of what the period applies to, date field, action)
CATEGORIES = {
    "registered_payload": (
        "retention_registered_days", "autoreg.inbound",
        [("state", "in", ("done", "passed")), ("payload", "!=", False)],
        "create_date", "anonymise",
    ),
    "spam": (
        "retention_spam_days", "autoreg.inbound",
        [("state", "in", ("spam", "ignored"))], "create_date", "delete",
    ),
    "review": (
        "retention_review_days", "autoreg.inbound",
        [("state", "=", "review")], "create_date", "delete",
    ),
    "telegram_message": (
        "retention_telegram_days", "autoreg.telegram.message",
        [("state", "=", "sent")], "sent_date", "delete",
    ),
    "consent": (
        "retention_consent_days", "autoreg.consent",
        [("state", "in", ("refused", "pending"))], "consent_date", "delete",
    ),
    "duplicate": (
        "retention_duplicate_days", "autoreg.duplicate",
        [("state", "in", ("merged", "dismissed"))], "write_date", "delete",
    ),
}


class AutoregRetention(models.AbstractModel):
    _name = "autoreg.retention"
    _description = "Intake Retention"

    @api.model
    def _cron_purge(self, batch=BATCH, auto_commit=True):
        """Purge every expired category; :return: ``{category: count}``."""
        done = {}
        for category in CATEGORIES:
            done[category] = self._purge(category, batch, auto_commit)
        return done

    @api.model
    def _purge(self, category, batch=BATCH, auto_commit=False, max_batches=None):
        """Purge what expired in ``category``, ``batch`` records at a time
        (``max_batches``: stop after that many, as a killed run would);
        :return: how many."""
        setting, model, domain, date_field, action = CATEGORIES[category]
        days = self.env["res.config.settings"]._autoreg_param(setting)
        if days <= 0:
            return 0
        cutoff = fields.Datetime.subtract(fields.Datetime.now(), days=days)
        Model = self.env[model].with_context(active_test=False)
        total = batches = 0
        while max_batches is None or batches < max_batches:
            batches += 1
            # Data blocked at a person's request is kept until its own date
            # (LOPDGDD art. 32), when the erasure job destroys it.
            records = Model.search(
                domain + [(date_field, "<", cutoff), ("autoreg_blocked_until", "=", False)],
                limit=batch, order="id",
            )
            if not records:
                break
            getattr(self, f"_{action}")(records)
            total += len(records)
            self.env["autoreg.retention.log"].create(
                {"category": category, "count": len(records), "cutoff": cutoff}
            )
            if auto_commit:
                # Each batch is kept even if a later one fails: the next run
                # starts from what is still expired.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if total:
            _logger.info("Retention: %s %s record(s) of category %s", action, total, category)
        return total

    @api.model
    def _anonymise(self, inbound):
        """What the inbound message kept of the raw message goes; what the
        helpdesk keeps of the request stays."""
        self._unlink_files(inbound)
        inbound.write({"payload": False, "body": False})

    @api.model
    def _delete(self, records):
        if records._name == "autoreg.inbound":
            self._unlink_files(records)
        records.unlink()

    @api.model
    def _unlink_files(self, inbound):
        self.env["ir.attachment"].search(
            [("res_model", "=", "autoreg.inbound"), ("res_id", "in", inbound.ids)]
        ).unlink()

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How a consent ends, and who never gets a campaign.

- Each door says how it withdraws (``/stop`` in Telegram, STOP by email);
  Odoo's unsubscribe link of a newsletter withdraws the matching consents
  too, so the consent record always tells how it was withdrawn.
- Mass mailings skip blocked contacts (LOPDGDD art. 32) and the addresses
  and domains the reviewers blocked as spam, whatever list they are on.
"""

from odoo import _, api, models, tools

from .autoreg_consent import WITHDRAWN_HOW_CONTEXT


class AutoregDoorMail(models.AbstractModel):
    _inherit = "autoreg.door.mail"

    @api.model
    def _unsubscribe(self, inbound):
        return super(AutoregDoorMail, self.with_context(
            **{WITHDRAWN_HOW_CONTEXT: "mail"})
        )._unsubscribe(inbound)


class AutoregDoorTelegram(models.AbstractModel):
    _inherit = "autoreg.door.telegram"

    @api.model
    def _unsubscribe(self, inbound, chat):
        return super(AutoregDoorTelegram, self.with_context(
            **{WITHDRAWN_HOW_CONTEXT: "telegram"})
        )._unsubscribe(inbound, chat)


class MailingSubscription(models.Model):
    _inherit = "mailing.subscription"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("opt_out") and not self.env.context.get(WITHDRAWN_HOW_CONTEXT):
            # the newsletter's own unsubscribe link (or the marketing app)
            for subscription in self:
                # sudo: the consents are intake's records, the person unsubscribes
                self.env["autoreg.consent"].sudo().search([
                    ("mailing_list_id", "=", subscription.list_id.id),
                    ("email", "=", subscription.contact_id.email_normalized),
                    ("state", "in", ("confirmed", "pending")),
                ])._withdraw(_("Unsubscribed from the newsletter"), how="unsubscribe")
        return result


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    def _get_remaining_recipients(self):
        res_ids = super()._get_remaining_recipients()
        return self._autoreg_without_excluded(res_ids)

    def _autoreg_without_excluded(self, res_ids):
        """``res_ids`` of the mailing's model without blocked contacts and
        senders blocked as spam."""
        self.ensure_one()
        Target = self.env[self.mailing_model_real].sudo()
        if "email_normalized" not in Target._fields or not res_ids:
            return res_ids
        records = Target.browse(res_ids)
        excluded = self._autoreg_excluded_emails(set(records.mapped("email_normalized")))
        if not excluded:
            return res_ids
        return [record.id for record in records if record.email_normalized not in excluded]

    @api.model
    def _autoreg_excluded_emails(self, emails):
        """Which of ``emails`` must never get a campaign."""
        emails = {email for email in emails if email}
        if not emails:
            return set()
        # sudo: the exclusions are intake's, the mailing is marketing's
        blocked = set(self.env["res.partner"].sudo().with_context(active_test=False).search([
            ("email_normalized", "in", list(emails)), ("autoreg_blocked_until", "!=", False),
        ]).mapped("email_normalized"))
        rules = self.env["autoreg.sender.rule"].sudo().search([("action", "=", "block")])
        spam_addresses = {tools.email_normalize(rule.value) for rule in rules
                          if rule.kind == "address"}
        spam_domains = {rule.value.strip().lower() for rule in rules if rule.kind == "domain"}
        return blocked | {
            email for email in emails
            if email in spam_addresses or email.rpartition("@")[2] in spam_domains
        }

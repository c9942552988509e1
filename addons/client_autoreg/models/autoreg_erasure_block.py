# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Blocked data (LOPDGDD art. 32): kept, but seen by nobody but the
data-protection officer, until the date it is destroyed.

Every model that holds a person's data for intake gets a *Blocked until*
date; the record rules of ``security/autoreg_privacy_security.xml`` hide a
record with that date from every user outside the group
``group_autoreg_dpo``. A blocked contact is never written to by the bot
(``autoreg.telegram.chat._say``) and its addresses are on the mail blacklist,
which every mass mailing skips.
"""

from odoo import api, fields, models

BLOCKABLE_MODELS = (
    "res.partner",
    "helpdesk.ticket",
    "autoreg.inbound",
    "autoreg.telegram.chat",
    "autoreg.telegram.message",
    "autoreg.consent",
    "autoreg.sender.rule",
    "autoreg.duplicate",
)


class AutoregBlockable(models.AbstractModel):
    _name = "autoreg.blockable"
    _description = "Data that can be blocked (LOPDGDD art. 32)"

    autoreg_blocked_until = fields.Date(
        string="Blocked until", readonly=True, copy=False, index="btree_not_null",
        help="Blocked at the person's request: hidden from every user but the "
        "data-protection officer, and destroyed after this date.",
    )

    @api.model
    def _autoreg_block(self, records, until):
        # sudo: blocking hides the records from the very user who blocks them;
        # the caller was checked by autoreg.erasure._check_caller.
        records.sudo().with_context(tracking_disable=True).write(
            {"autoreg_blocked_until": until}
        )


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "autoreg.blockable"]


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "autoreg.blockable"]


class AutoregInbound(models.Model):
    _name = "autoreg.inbound"
    _inherit = ["autoreg.inbound", "autoreg.blockable"]


class AutoregTelegramChat(models.Model):
    _name = "autoreg.telegram.chat"
    _inherit = ["autoreg.telegram.chat", "autoreg.blockable"]

    def _say(self, text, ask_phone=False, ticket=None, message=None):
        """A blocked person gets nothing from the bot."""
        self.ensure_one()
        # sudo: the block date is for the officer's eyes; the bot only asks
        # whether it is set
        chat = self.sudo()
        if chat.autoreg_blocked_until or chat.partner_id.autoreg_blocked_until:
            return self.env["autoreg.telegram.message"]
        return super()._say(text, ask_phone=ask_phone, ticket=ticket, message=message)


class AutoregTelegramMessage(models.Model):
    _name = "autoreg.telegram.message"
    _inherit = ["autoreg.telegram.message", "autoreg.blockable"]


class AutoregConsent(models.Model):
    _name = "autoreg.consent"
    _inherit = ["autoreg.consent", "autoreg.blockable"]


class AutoregSenderRule(models.Model):
    _name = "autoreg.sender.rule"
    _inherit = ["autoreg.sender.rule", "autoreg.blockable"]


class AutoregDuplicate(models.Model):
    _name = "autoreg.duplicate"
    _inherit = ["autoreg.duplicate", "autoreg.blockable"]

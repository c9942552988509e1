# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's portal offers to chat on Telegram: the link is signed for
the signed-in customer, so the chat is linked to their contact without any
number typed (see autoreg.telegram.bot._portal_link)."""

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.http import request


class IntakePortal(CustomerPortal):
    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        partner = request.env.user.partner_id
        if request.env.user._is_public():
            return values
        # sudo: customers see the bots of their companies, not their settings
        bots = request.env["autoreg.telegram.bot"].sudo().search([
            ("active", "=", True), ("username", "!=", False),
            ("company_id", "in", request.env.user.company_ids.ids),
        ])
        values["autoreg_telegram_links"] = [
            (bot.name, bot._portal_link(partner)) for bot in bots
        ]
        return values

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    def _default_autoreg_registered_action(self):
        return self.env.ref("client_autoreg.action_assign_and_notify", raise_if_not_found=False)

    autoreg_registered_action_id = fields.Many2one(
        comodel_name="ir.actions.server",
        default=_default_autoreg_registered_action,
        string="On request registered",
        domain=[("model_id.model", "=", "helpdesk.ticket")],
        help="Server action run on the request each time intake registers a "
        "message for this team (a new request or a message added to an open "
        "one). Assignment and notification are plugged in here.",
    )
    autoreg_unknown_policy = fields.Selection(
        selection=[
            ("review", "Hold for review"),
            ("accept", "Register"),
            ("reject", "Reject as spam"),
        ],
        string="Mail from unknown senders",
        default="review",
        required=True,
        help="Mail whose sender is neither a contact nor allowlisted: held for "
        "the reviewer without creating anything, registered at once (the "
        "contact is created), or filed as spam.",
    )
    autoreg_reviewer_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible for manual review",
        domain=[("share", "=", False)],
        help="Gets an activity for each held message. Defaults to the team leader.",
    )

    def _autoreg_reviewer(self):
        self.ensure_one()
        return (
            self.autoreg_reviewer_id
            or self.user_id
            or self.env.ref("base.user_admin", raise_if_not_found=False)
            or self.env.user
        )

    def _alias_get_error(self, message, message_dict, alias):
        """An alias "accepting from known partners" bounces the others; when
        the team reviews unknown senders, the reviewer decides instead."""
        error = super()._alias_get_error(message, message_dict, alias)
        if (
            error
            and error.code == "error_partners_no_partner"
            and len(self) == 1
            and self.autoreg_unknown_policy == "review"
            and self.env["autoreg.inbound"]._email_channel()
        ):
            return False
        return error

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The email door: new mail for helpdesk requests enters the intake corridor.

Routing stays Odoo's (aliases, fetchmail, replies found by their headers);
only the routes that would create a new helpdesk ticket are handed to intake,
which stores the mail, filters it and registers it, or holds it for review.
"""

from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_process(self, model, message, custom_values=None, save_original=False,
                        strip_attachments=False, thread_id=None):
        # Intake keeps the message exactly as received: its bytes are handed
        # down to the routing step through the context.
        raw = message
        if hasattr(raw, "data"):  # xmlrpc.client.Binary
            raw = bytes(raw.data)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        return super(MailThread, self.with_context(autoreg_raw_message=raw)).message_process(
            model, message, custom_values=custom_values, save_original=save_original,
            strip_attachments=strip_attachments, thread_id=thread_id,
        )

    def _message_route_process(self, message, message_dict, routes):
        intake_routes = [route for route in routes or () if self._autoreg_is_intake_route(route)]
        if not intake_routes:
            return super()._message_route_process(message, message_dict, routes)
        other_routes = [route for route in routes if route not in intake_routes]
        thread_id = False
        if other_routes:
            thread_id = super()._message_route_process(message, dict(message_dict), other_routes)
        Inbound = self.env["autoreg.inbound"].sudo()  # the gateway's own rights
        for route in intake_routes:
            inbound = Inbound._intake_email(message, message_dict, route)
            thread_id = inbound.ticket_id.id or thread_id
        return thread_id

    @api.model
    def _autoreg_is_intake_route(self, route):
        model, thread_id = route[0], route[1]
        return (
            model == "helpdesk.ticket"
            and not thread_id
            and not self.env.context.get("autoreg_gateway_bypass")
            and bool(self.env["autoreg.inbound"]._email_channel())
        )

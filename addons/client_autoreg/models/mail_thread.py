# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The mail gateway's two hooks for the mail door (``autoreg.door.mail``).

``message_process``: the raw mail is stored before Odoo parses it, and any
failure leaves it in the error state, retriable, instead of losing it.
``message_parse``: what the parser decoded is stored without NUL characters.
``_message_route_process``: a route that would create a helpdesk request
goes through the corridor first, and is handed on only when the corridor
admits the mail.
"""

from odoo import api, models
from odoo.tools import LazyTranslate

_lt = LazyTranslate(__name__)


def _without_nul(value):
    """``value`` (text, or a list or dict of texts) without U+0000; a Markup
    stays a Markup."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_process(self, model, message, custom_values=None, save_original=False,
                        strip_attachments=False, thread_id=None):
        if self.env.context.get("autoreg_inbound_id") or not self._autoreg_mail_door_open(
            custom_values, save_original, strip_attachments, thread_id
        ):
            return super().message_process(
                model, message, custom_values=custom_values, save_original=save_original,
                strip_attachments=strip_attachments, thread_id=thread_id,
            )
        door = self.env["autoreg.door.mail"].sudo()  # the gateway's own rights
        inbound, created = door._store_raw(self._autoreg_raw_bytes(message), model)
        if not created and inbound.state not in ("received", "error"):
            return inbound.ticket_id.id or False  # a mail delivered twice
        # Whatever fails from here (Odoo's parser, routing, intake) leaves
        # the stored mail in the error state; only a concurrency error is
        # raised, for the caller to retry the whole transaction.
        inbound._process(created_here=created)
        return inbound.ticket_id.id or door._thread_id_of(inbound)

    @api.model
    def message_parse(self, message, save_original=False):
        """PostgreSQL text cannot hold U+0000, and decoded mail can carry it
        (a base64 or quoted-printable body, an RFC 2047 header, a NUL byte
        sent 8-bit): the NULs are left out of what the gateway stores, so the
        mail is registered like any other. The stored raw mail keeps them
        (``autoreg.inbound.payload``), and files keep their content."""
        msg_dict = super().message_parse(message, save_original=save_original)
        attachments = msg_dict.pop("attachments", None)
        msg_dict = {key: _without_nul(value) for key, value in msg_dict.items()}
        if attachments is not None:
            msg_dict["attachments"] = [
                attachment._replace(fname=_without_nul(attachment.fname),
                                    info=_without_nul(attachment.info))
                if isinstance(attachment, self._Attachment) else attachment
                for attachment in attachments
            ]
        return msg_dict

    @api.model
    def _autoreg_mail_door_open(self, custom_values, save_original, strip_attachments,
                                thread_id):
        """Intake stores the mail unless the caller asks the gateway for
        something the stored mail cannot be replayed with, or helpdesk's
        email channel is gone, or the caller switched intake off (context
        ``autoreg_intake_off``: the benchmark's stock gateway)."""
        return (
            not (custom_values or save_original or strip_attachments or thread_id)
            and not self.env.context.get("autoreg_intake_off")
            and bool(self.env["autoreg.door.mail"]._channel())
        )

    @api.model
    def _autoreg_raw_bytes(self, message):
        if hasattr(message, "data"):  # xmlrpc.client.Binary
            message = bytes(message.data)
        if isinstance(message, str):
            message = message.encode("utf-8")
        return message

    def _message_route_process(self, message, message_dict, routes):
        inbound = self.env["autoreg.inbound"].sudo().browse(
            self.env.context.get("autoreg_inbound_id")
        )
        if not inbound:
            return super()._message_route_process(message, message_dict, routes)
        intake_routes = [route for route in routes or () if self._autoreg_is_intake_route(route)]
        other_routes = [route for route in routes or () if route not in intake_routes]
        thread_id = False
        if other_routes:
            thread_id = super()._message_route_process(message, dict(message_dict), other_routes)
        if not routes:
            # Odoo refused the mail (an alias bounced it to its sender).
            inbound._finish("ignored", _lt("Refused by the alias: the sender got a bounce"))
            return False
        if not intake_routes:
            inbound._door()._passed_on(inbound, other_routes, thread_id)
            return thread_id
        return self._autoreg_intake(inbound, message, message_dict, intake_routes[0]) or thread_id

    def _autoreg_intake(self, inbound, message, message_dict, route):
        """The corridor's steps for a mail routed to a new request: filter,
        resolve, then hand the route on to register, assign and notify."""
        door = inbound._door()
        door._read_route(inbound, message, message_dict, route)
        team = inbound._intake_team()
        if not inbound._admit(team, message):
            if inbound.state == "review":
                door._keep_attachments(inbound, message_dict)
            return False
        # The gateway's routing found the author; the corridor resolved it.
        # The request keeps the contact's address, not the raw From header
        # (the gateway copies email_from into the request's email field).
        partner = inbound.partner_id
        message_dict = dict(message_dict, author_id=partner.id,
                            email_from=partner.email or message_dict.get("email_from"))
        route = door._intake_route(inbound, team, route)
        ticket = self.env["helpdesk.ticket"].browse(
            super()._message_route_process(message, message_dict, [route])
        )
        inbound._registered(ticket, True)
        return ticket.id

    @api.model
    def _autoreg_is_intake_route(self, route):
        model, thread_id = route[0], route[1]
        return model == "helpdesk.ticket" and not thread_id

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a door is: the part of intake that speaks one protocol.

A door translates its protocol into an inbound message (``store``) and
back (its answers), and nothing else; the corridor (``autoreg.inbound``)
calls these hooks, each door overriding the ones it needs:

- ``_channel``: the helpdesk channel its messages are registered under;
- ``_process``: translate a stored message and enter the corridor;
- ``_filter``: the door's own signals (auto-replies, spam headers);
- ``_registers_unknown_senders``: whether a sender who matches no contact
  is registered without review;
- ``_register_request``: how a request is registered;
- ``_after_register``: the door's answer to the customer.
"""

from odoo import api, models


class AutoregDoor(models.AbstractModel):
    _name = "autoreg.door"
    _description = "Intake Door"

    @api.model
    def _channel(self):
        """The channel this door's messages arrive on by default."""
        raise NotImplementedError

    @api.model
    def _process(self, inbound):
        inbound._run_corridor()

    @api.model
    def _filter(self, inbound, message=None):
        """:return: ``(state, reason)`` to stop the message, else ``(False, False)``"""
        return False, False

    @api.model
    def _registers_unknown_senders(self):
        return False

    @api.model
    def _reviewable(self):
        """Whether a reviewer may approve or reject this door's messages."""
        return True

    @api.model
    def _register_request(self, inbound, team):
        """:return: ``(ticket, created)``"""
        return self.env["helpdesk.ticket"]._autoreg_register(inbound, team)

    @api.model
    def _after_register(self, inbound, ticket, created):
        return None

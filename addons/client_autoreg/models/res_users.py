# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import AccessError

MANAGER_GROUP = "client_autoreg.group_autoreg_manager"


class ResUsers(models.Model):
    _inherit = "res.users"

    autoreg_unavailable = fields.Boolean(
        string="Unavailable for new requests",
        help="Skipped by the helpdesk teams' automatic assignment (leave, "
        "training...), also for the customers they already serve.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["autoreg_unavailable"]

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["autoreg_unavailable"]

    def signup(self, values, token=None):
        """Choosing a password from an invitation or reset link proves the
        address the link was sent to."""
        partner = self.env["res.partner"]
        if token:
            partner = partner.sudo()._signup_retrieve_partner(token, check_validity=True)
        address = partner.email_normalized
        result = super().signup(values, token=token)
        if partner and address and partner.email_normalized == address:
            partner._autoreg_prove(email_proof="link")
        return result

    def _autoreg_is_manager(self):
        return self.has_group(MANAGER_GROUP)

    def _autoreg_check_manager(self, message):
        """Refuse, with ``message``, a user who is not an intake manager:
        the one check behind the methods only managers may call by RPC."""
        if not self._autoreg_is_manager():
            raise AccessError(message)

    def _autoreg_at_work(self, when):
        """The users who work at ``when``, where Odoo knows their hours.

        A user linked to a resource (an employee, with hr) is at work when
        their working schedule has hours at that moment and no leave (their
        own or the company's) covers it; users without a resource are
        always at work, since nothing says otherwise.
        """
        resources = self.env["resource.resource"].sudo().search(
            [("user_id", "in", self.ids)]
        )  # sudo: only the schedules are read, to skip absent members
        absent = self.browse()
        for resource in resources:
            if not resource._autoreg_works_at(when):
                absent |= resource.user_id
        return self - absent

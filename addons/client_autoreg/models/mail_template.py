# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _autoreg_send(self, res_id, **kwargs):
        """Queue the mail of ``res_id`` and have the mail queue send it now.

        ``send_mail`` only queues: Odoo's queue job runs hourly, and a
        receipt, a booking or a consent confirmation would wait for it.
        """
        mail_id = self.send_mail(res_id, **kwargs)
        self.env["mail.mail"]._autoreg_send_soon()
        return mail_id

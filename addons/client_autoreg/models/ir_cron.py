# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _autoreg_wake_job(self, xmlid):
        """``_autoreg_wake`` the job ``xmlid``, found without a query."""
        self.browse(self.env["ir.model.data"]._xmlid_to_res_id(xmlid))._autoreg_wake()

    def _autoreg_wake(self):
        """Have the job run now, unless a call is already due and not taken.

        Under load most callers find one: the job takes everything committed
        before it looks, and looks again while work is left, so one more
        trigger (a row, and a wake-up sent on a connection of its own to the
        ``postgres`` database) would only make it run once more for nothing.
        Odoo drops the due triggers when the job ends; the next caller adds
        one.
        """
        self.ensure_one()
        # The clock, not now(): now() is when this transaction began, maybe
        # before another one's trigger was written for the same second.
        self.env.cr.execute(
            "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s"
            " AND call_at <= (clock_timestamp() AT TIME ZONE 'UTC') LIMIT 1", [self.id])
        if not self.env.cr.fetchone():
            # sudo: whoever queued the work, the job must run
            self.sudo()._trigger()

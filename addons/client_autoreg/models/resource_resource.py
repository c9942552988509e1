# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from pytz import utc

from odoo import models


class ResourceResource(models.Model):
    _inherit = "resource.resource"

    def _autoreg_works_at(self, when):
        """Whether the schedule has working time at ``when`` (a naive UTC
        datetime) once leaves are taken out; a resource with flexible hours
        (no schedule) is only absent during a leave."""
        self.ensure_one()
        start = utc.localize(when)
        end = start + timedelta(minutes=1)
        calendar = self.calendar_id
        if calendar:
            intervals = calendar._work_intervals_batch(start, end, resources=self)[self.id]
            return bool(list(intervals))
        return not self.env["resource.calendar.leaves"].search_count(
            [
                ("resource_id", "=", self.id),
                ("date_from", "<=", when),
                ("date_to", ">", when),
            ],
            limit=1,
        )

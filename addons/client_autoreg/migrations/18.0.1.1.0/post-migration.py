# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api
from odoo.addons.client_autoreg.hooks import mark_existing_identifiers_as_staff_entered


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    # Least busy reads per-member counters: recount them on upgrade.
    env["autoreg.assignee.load"]._recount()
    mark_existing_identifiers_as_staff_entered(cr)

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AutoregWebService(models.Model):
    """A service customers can order or book on the website."""

    _name = "autoreg.web.service"
    _description = "Website Service"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        selection=[("order", "Order"), ("appointment", "Appointment")],
        default="appointment",
        required=True,
        help="Appointments are booked in a free time of a member who delivers them.",
    )
    duration = fields.Float(
        string="Duration (hours)", default=1.0, help="Length of the appointment."
    )
    category_id = fields.Many2one(
        comodel_name="helpdesk.ticket.category",
        string="Request category",
        help="Category of the requests of this service.",
    )
    company_id = fields.Many2one(comodel_name="res.company", default=lambda self: self.env.company)
    # Online booking (appointments)
    buffer_minutes = fields.Integer(
        string="Buffer (minutes)",
        help="Free time kept after each appointment before the member's next "
        "engagement (travel, cleaning...).",
    )
    step_minutes = fields.Integer(
        string="Start every (minutes)", default=30,
        help="Appointments start on this grid from the beginning of the "
        "member's working hours.",
    )
    notice_hours = fields.Float(
        string="Minimum notice (hours)", default=2.0,
        help="How long before its start an appointment can still be booked.",
    )
    horizon_days = fields.Integer(
        string="Booking horizon (days)", default=30,
        help="How many days ahead appointments can be booked.",
    )
    member_ids = fields.Many2many(
        comodel_name="res.users",
        relation="autoreg_web_service_member_rel",
        string="Delivered by",
        domain=[("share", "=", False)],
        help="Members who can deliver the service; empty: the members of the "
        "team that receives the website's requests.",
    )

    _sql_constraints = [
        ("step_positive", "CHECK(step_minutes > 0)", "Appointments need a start grid."),
        ("buffer_positive", "CHECK(buffer_minutes >= 0)", "A buffer cannot be negative."),
    ]

    def _autoreg_members(self):
        """The active internal users who deliver this service."""
        self.ensure_one()
        members = self.member_ids
        if not members:
            channel = self.env["autoreg.door.website"]._channel()
            company = self.company_id or self.env.company
            members = channel._autoreg_intake_team(company).user_ids
        return members.filtered(lambda user: user.active and not user.share).sorted("id")

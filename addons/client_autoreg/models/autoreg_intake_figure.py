# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The day's figures of intake, one row per day, door and company.

A reporting model over a SQL view (like Odoo's ``sale.report``): nothing is
stored, every read counts the inbound messages again. The Overview opens on
today's rows as one card per door; graph and pivot read the same rows over
any period.

The day is the UTC day of the message's arrival (``create_date``, which
Odoo stores in UTC): a user far from UTC sees a message received shortly
before or after midnight on the UTC day, not on their own.
"""

from datetime import datetime, time, timedelta

from odoo import _, fields, models, tools
from odoo.tools import SQL

from .autoreg_inbound import DOORS

# Each figure of a card: the inbound messages it counts, as a domain
FIGURE_DOMAINS = {
    "received_count": [],
    "registered_count": [("state", "=", "done")],
    "review_count": [("state", "=", "review")],
    "spam_count": [("state", "=", "spam")],
    "error_count": [("state", "=", "error")],
    "assigned_count": [("assignment_minutes", "!=", False)],  # never 0.0 once assigned
}


class AutoregIntakeFigure(models.Model):
    _name = "autoreg.intake.figure"
    _description = "Intake Figures"
    _auto = False
    # The view reads these columns: the ORM writes them to the database first.
    _depends = {
        "autoreg.inbound": ["create_date", "door", "company_id", "state", "assignment_minutes"],
        "res.company": ["active"],
    }
    _rec_name = "door"
    _order = "day desc, company_id, door"

    day = fields.Date(readonly=True)
    door = fields.Selection(
        selection=DOORS, readonly=True, help="The protocol the messages came through."
    )
    company_id = fields.Many2one(comodel_name="res.company", string="Company", readonly=True)
    received_count = fields.Integer(
        string="Received", readonly=True, help="Every message that arrived that day."
    )
    registered_count = fields.Integer(
        string="Registered", readonly=True,
        help="Messages that became a request or were added to an open one.",
    )
    review_count = fields.Integer(
        string="Waiting for review", readonly=True,
        help="Messages of unknown senders a reviewer has not decided on yet.",
    )
    spam_count = fields.Integer(string="Spam", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    assigned_count = fields.Integer(
        string="Assigned", readonly=True,
        help="Messages whose request was assigned to a team member.",
    )
    median_assignment_minutes = fields.Float(
        string="Median minutes to assignment", readonly=True, digits=(16, 1),
        aggregator="avg",
        help="Half of the assigned messages waited less than this, from arrival to "
        "assignment (grouped over several days or doors: the average of the medians).",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # One row per day, door and company with messages, and a row of
        # zeros for each door without a message today: the Overview always
        # shows every door. The id is made of the three, so that a card keeps
        # its id from one read to the next (its buttons browse it). Each part
        # reads autoreg_inbound once, so that a filter on the day reaches the
        # table instead of every day being counted first.
        # assignment_minutes is empty until the request is assigned; it can
        # be a hair below zero when the assignment follows the arrival within
        # the second (it is measured from a clock without microseconds), so
        # the median counts it as zero. (greatest() skips NULL: the median is
        # filtered on the assigned messages, or the others would count as 0.)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    SELECT ((figures.day - DATE '2000-01-01')::bigint * 4294967296
                            + figures.company_id::bigint * 4
                            + coalesce(array_position(%(doors)s::varchar[], figures.door), 0)
                           ) AS id,
                           figures.*
                      FROM (
                        SELECT inbound.create_date::date AS day,
                               inbound.door::varchar AS door,
                               inbound.company_id,
                               count(*) AS received_count,
                               count(*) FILTER (WHERE inbound.state = 'done') AS registered_count,
                               count(*) FILTER (WHERE inbound.state = 'review') AS review_count,
                               count(*) FILTER (WHERE inbound.state = 'spam') AS spam_count,
                               count(*) FILTER (WHERE inbound.state = 'error') AS error_count,
                               count(inbound.assignment_minutes) AS assigned_count,
                               percentile_cont(0.5) WITHIN GROUP (
                                   ORDER BY greatest(inbound.assignment_minutes, 0)
                               ) FILTER (WHERE inbound.assignment_minutes IS NOT NULL)
                                 AS median_assignment_minutes
                          FROM autoreg_inbound inbound
                         GROUP BY 1, 2, 3
                        UNION ALL
                        SELECT today.day, doors.door, company.id,
                               0, 0, 0, 0, 0, 0, NULL::double precision
                          FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS day) AS today
                         CROSS JOIN res_company company
                         CROSS JOIN unnest(%(doors)s::varchar[]) AS doors (door)
                         WHERE company.active
                           AND NOT EXISTS (
                               SELECT 1
                                 FROM autoreg_inbound inbound
                                WHERE inbound.create_date >= today.day
                                  AND inbound.create_date < today.day + 1
                                  AND inbound.door = doors.door
                                  AND inbound.company_id = company.id
                           )
                      ) AS figures
                )
                """,
                view=SQL.identifier(self._table),
                doors=[door for door, _label in DOORS],
            )
        )

    def action_open_messages(self):
        """The inbound messages a figure of this card counts: the figure is
        the context's ``autoreg_figure`` (a field name of this model)."""
        self.ensure_one()
        figure = self.env.context.get("autoreg_figure") or "received_count"
        if figure not in FIGURE_DOMAINS:
            raise ValueError(f"Unknown figure {figure!r}")
        start = datetime.combine(self.day, time.min)  # the UTC day, as in the view
        domain = [
            ("door", "=", self.door),
            ("company_id", "=", self.company_id.id),
            ("create_date", ">=", start),
            ("create_date", "<", start + timedelta(days=1)),
            *FIGURE_DOMAINS[figure],
        ]
        door = dict(self._fields["door"]._description_selection(self.env))[self.door]
        return {
            "type": "ir.actions.act_window",
            "name": _(
                "%(door)s: %(figure)s",
                door=door,
                figure=self._fields[figure]._description_string(self.env),
            ),
            "res_model": "autoreg.inbound",
            "views": [(False, "list"), (False, "form")],
            "domain": domain,
            "context": {"create": False},
        }

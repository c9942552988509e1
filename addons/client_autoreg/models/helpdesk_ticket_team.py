# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    def _default_autoreg_registered_action(self):
        return self.env.ref("client_autoreg.action_assign_and_notify", raise_if_not_found=False)

    autoreg_registered_action_id = fields.Many2one(
        comodel_name="ir.actions.server",
        default=_default_autoreg_registered_action,
        string="On request registered",
        domain=[("model_id.model", "=", "helpdesk.ticket")],
        # The action runs with intake's rights on every request: only
        # administrators, who may write server actions anyway, choose it.
        groups="base.group_system",
        help="Server action run on the request each time intake registers a "
        "message for this team (a new request or a message added to an open "
        "one). Assignment and notification are plugged in here.",
    )
    autoreg_unknown_policy = fields.Selection(
        selection=[
            ("review", "Hold for review"),
            ("register", "Register"),
            ("reject", "Reject as spam"),
        ],
        string="Mail from unknown senders",
        default="review",
        required=True,
        help="Mail whose sender is neither a contact nor allowlisted: held for "
        "the reviewer without creating anything, registered at once (the "
        "contact is created), or filed as spam. Senders on the allowlist are "
        "always registered, those on the blocklist always filed as spam; "
        "Telegram (a proven phone number) and the website forms register "
        "their senders whatever this policy.",
    )
    autoreg_reviewer_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible for manual review",
        domain=[("share", "=", False)],
        help="Gets an activity for each held message. Defaults to the team leader.",
    )

    autoreg_assignment_policy = fields.Selection(
        selection=[
            ("dispatcher", "Dispatcher distributes by hand"),
            ("round_robin", "Round-robin"),
            ("least_busy", "Least busy member"),
        ],
        string="Assignment",
        default="round_robin",
        required=True,
    )
    autoreg_dispatcher_id = fields.Many2one(
        comodel_name="res.users",
        string="Dispatcher",
        domain=[("share", "=", False)],
        help="Receives the requests to distribute (dispatcher policy), and those "
        "no member can take. Defaults to the team leader.",
    )
    autoreg_max_open = fields.Integer(
        string="Open requests cap",
        help="Least busy policy: members with this many open requests get no "
        "more (0: no cap).",
    )
    autoreg_activity_days = fields.Integer(
        string="Activity deadline (days)", default=0,
        help="Deadline of the activity the assignee gets for a new request, in "
        "days from its arrival; 0: the same day (it then counts in the "
        "assignee's activity counter at once).",
    )
    autoreg_respect_working_time = fields.Boolean(
        string="Only members at work",
        default=True,
        help="Skip members who are on leave or outside their working hours at "
        "the moment a request arrives, for those whose working schedule is "
        "known (employees).",
    )
    autoreg_rr_sequence_id = fields.Many2one(
        comodel_name="ir.sequence", string="Round-robin turns", readonly=True, copy=False
    )

    def _autoreg_reviewer(self):
        self.ensure_one()
        return (
            self.autoreg_reviewer_id
            or self.user_id
            or self.env.ref("base.user_admin", raise_if_not_found=False)
            or self.env.user
        )

    def _alias_get_error(self, message, message_dict, alias):
        """An alias "accepting from known partners" bounces the others; when
        the team reviews unknown senders, the reviewer decides instead."""
        error = super()._alias_get_error(message, message_dict, alias)
        if (
            error
            and error.code == "error_partners_no_partner"
            and len(self) == 1
            and self.autoreg_unknown_policy == "review"
            and self.env["autoreg.door.mail"]._channel()
        ):
            return False
        return error

    # ------------------------------------------------------------------
    # Assignment: the algorithm lives in autoreg.assignment.policy
    # ------------------------------------------------------------------

    def _autoreg_dispatcher(self):
        return self.autoreg_dispatcher_id or self.user_id

    def _autoreg_pick_assignee(self, ticket):
        """:return: ``(user, reason, to_dispatch)``; user may be empty."""
        self.ensure_one()
        return self.env["autoreg.assignment.policy"]._pick_assignee(self, ticket)

    @api.model
    def _autoreg_set_default_registered_action(self):
        """At install: existing teams assign and notify like new ones."""
        action = self._default_autoreg_registered_action()
        self.with_context(active_test=False).search(
            [("autoreg_registered_action_id", "=", False)]
        ).autoreg_registered_action_id = action

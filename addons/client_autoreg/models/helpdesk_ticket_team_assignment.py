# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who gets a new request: the team's assignment policy.

The open-ticket owner comes first; otherwise the team's policy decides:
its dispatcher, round-robin among available members, or the least busy one.
Each choice comes with a sentence saying why, kept on the request.
"""

from odoo import _, api, fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

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

    def _autoreg_dispatcher(self):
        return self.autoreg_dispatcher_id or self.user_id

    def _autoreg_available_members(self):
        """Members who can take a request now, in a stable order."""
        members = self.user_ids.filtered(
            lambda user: user.active and not user.autoreg_unavailable
        )
        if self.autoreg_respect_working_time:
            members = members._autoreg_at_work(fields.Datetime.now())
        return members.sorted("id")

    def _autoreg_pick_assignee(self, ticket):
        """:return: ``(user, reason, to_dispatch)``; user may be empty."""
        self.ensure_one()
        owner_ticket = ticket._autoreg_other_open_ticket_with_owner()
        if owner_ticket and owner_ticket.user_id in self._autoreg_available_members():
            return owner_ticket.user_id, _(
                "Open request %(number)s of this customer is owned by %(user)s.",
                number=owner_ticket.number, user=owner_ticket.user_id.name,
            ), False
        if self.autoreg_assignment_policy == "dispatcher":
            return self._autoreg_to_dispatcher(_("Distributed by hand."))
        pick = getattr(self, f"_autoreg_pick_{self.autoreg_assignment_policy}")
        user, reason = pick()
        if user:
            return user, reason, False
        return self._autoreg_to_dispatcher(reason)

    def _autoreg_to_dispatcher(self, reason):
        dispatcher = self._autoreg_dispatcher()
        return dispatcher, _(
            "%(reason)s To dispatch by %(user)s.", reason=reason, user=dispatcher.name or "?"
        ), True

    def _autoreg_pick_round_robin(self):
        members = self._autoreg_available_members()
        if not members:
            return self.env["res.users"], _("No member of the team is available.")
        # Turns are numbered by a PostgreSQL sequence: concurrent intakes of
        # the team draw different numbers without waiting for each other, so
        # two requests arriving together go to different members. A turn
        # drawn by a transaction that is rolled back is skipped, and the
        # rotation restarts from the new list when members come and go: the
        # order is even over time, not strictly alternating.
        turn = self._autoreg_next_turn()
        user = members[(turn - 1) % len(members)]
        return user, _("Round-robin turn of %(user)s.", user=user.name)

    def _autoreg_next_turn(self):
        sequence = self.sudo().autoreg_rr_sequence_id  # sudo: a technical counter
        if not sequence:
            sequence = self.env["ir.sequence"].sudo().create(
                {
                    "name": f"Round-robin turns of team {self.id}",
                    "implementation": "standard",  # gaps allowed, no row lock
                    "company_id": False,
                }
            )
            self.sudo().autoreg_rr_sequence_id = sequence
        return int(sequence._next())

    def _autoreg_pick_least_busy(self):
        members = self._autoreg_available_members()
        open_counts = self._autoreg_open_counts(members)
        candidates = [
            (open_counts.get(user.id, 0), user.id, user)
            for user in members
            if not self.autoreg_max_open or open_counts.get(user.id, 0) < self.autoreg_max_open
        ]
        if not candidates:
            return self.env["res.users"], _("Every available member has reached the cap.")
        count, _user_id, user = min(candidates, key=lambda row: row[:2])
        return user, _("Least busy: %(user)s has %(count)s open requests.",
                       user=user.name, count=count)

    def _autoreg_open_counts(self, users):
        return self.env["autoreg.assignee.load"]._counts(self, users)

    @api.model
    def _autoreg_set_default_registered_action(self):
        """At install: existing teams assign and notify like new ones."""
        action = self._default_autoreg_registered_action()
        self.with_context(active_test=False).search(
            [("autoreg_registered_action_id", "=", False)]
        ).autoreg_registered_action_id = action

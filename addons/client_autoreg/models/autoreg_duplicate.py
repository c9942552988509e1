# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Likely duplicate contacts, found by the keys intake matches on.

Intake lists a pair when it creates a contact for a message whose
identifier another contact already has but does not prove (a claim never
links the two: a reviewer merges them). Contacts typed by hand or imported
may be duplicates too. A nightly job
(and a button) lists pairs sharing a normalised email or phone number, with
the similarity of their names; merging uses Odoo's partner merge, which moves
every record pointing to the contact (requests, Telegram chats, consents,
inbound messages) to the one kept.
"""

import difflib
import unicodedata

from odoo import _, api, fields, models
from odoo.exceptions import UserError

KEYS = [("email_normalized", "Same email"), ("phone_sanitized", "Same phone number")]


class AutoregDuplicate(models.Model):
    _name = "autoreg.duplicate"
    _description = "Likely Duplicate Contacts"
    _order = "name_similarity desc, id"

    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Contact kept", required=True, readonly=True,
        ondelete="cascade", help="The older contact: merging keeps it.",
    )
    duplicate_id = fields.Many2one(
        comodel_name="res.partner", string="Duplicate", readonly=True, ondelete="set null",
        help="Empty once merged: the duplicate was merged into the contact kept.",
    )
    duplicate_name = fields.Char(string="Duplicate name", readonly=True)
    reason = fields.Selection(selection=KEYS, required=True, readonly=True)
    key_value = fields.Char(string="Shared value", readonly=True)
    name_similarity = fields.Integer(
        string="Name similarity (%)", readonly=True,
        help="How alike the two names are, accents and case aside.",
    )
    state = fields.Selection(
        selection=[("open", "To check"), ("merged", "Merged"), ("dismissed", "Not duplicates")],
        default="open", required=True, readonly=True,
    )

    _sql_constraints = [
        ("pair_unique", "UNIQUE(partner_id, duplicate_id)", "This pair is listed already."),
    ]

    def action_find(self):
        found = self._find()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self._found_message(found),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _found_message(self, found):
        if not found:
            return _("No new pair of likely duplicates.")
        if found == 1:
            return _("One new pair of likely duplicates.")
        return _("%(count)s new pairs of likely duplicates.", count=found)

    @api.model
    def _find(self):
        """List new pairs; :return: how many."""
        Partner = self.env["res.partner"]
        Partner.flush_model(["email_normalized", "phone_sanitized", "active"])
        known = {(pair.partner_id.id, pair.duplicate_id.id) for pair in self.search([])}
        new = []
        for field_name, _label in KEYS:
            # Contacts of different companies are never paired; shared
            # contacts (no company) pair with shared contacts.
            self.env.cr.execute(
                f"""
                SELECT {field_name}, ARRAY_AGG(id ORDER BY id)
                  FROM res_partner
                 WHERE active AND {field_name} IS NOT NULL AND {field_name} != ''
                   AND (company_id IS NULL OR company_id IN %s)
              GROUP BY {field_name}, company_id
                HAVING COUNT(*) > 1
                """,  # noqa: S608 - field names come from KEYS
                (tuple(self.env.companies.ids),),
            )
            for value, ids in self.env.cr.fetchall():
                first, *others = Partner.browse(ids)
                for other in others:
                    if (first.id, other.id) in known or other.parent_id == first:
                        continue
                    known.add((first.id, other.id))
                    new.append({
                        "partner_id": first.id,
                        "duplicate_id": other.id,
                        "duplicate_name": other.display_name,
                        "reason": field_name,
                        "key_value": value,
                        "name_similarity": _similarity(first.name, other.name),
                    })
        self.create(new)
        return len(new)

    @api.model
    def _suggest(self, partner, company):
        """List ``partner``, just created by intake, with the contacts that
        share its email or phone: a claim never joins them, a reviewer may."""
        pairs = {}
        for field_name, _label in KEYS:
            value = partner[field_name]
            if not value:
                continue
            others = partner.search([
                (field_name, "=", value), ("id", "!=", partner.id),
                ("company_id", "in", [company.id, False]),
            ], order="id")
            for other in others:
                pairs.setdefault(other.id, {
                    "partner_id": other.id,
                    "duplicate_id": partner.id,
                    "duplicate_name": partner.display_name,
                    "reason": field_name,
                    "key_value": value,
                    "name_similarity": _similarity(other.name, partner.name),
                })
        return self.create(list(pairs.values()))

    def action_merge(self):
        """Merge each duplicate into the contact kept."""
        self.check_access("write")
        # sudo: merging rewrites every reference to the duplicate, also in
        # models an intake manager cannot read (website visitors...); the
        # manager's right to merge was checked above, and Odoo's own rule
        # for non-administrators is applied below.
        wizard = self.env["base.partner.merge.automatic.wizard"].sudo()
        for pair in self.filtered(lambda rec: rec.state == "open" and rec.duplicate_id):
            kept = pair.partner_id
            if not self.env.is_admin() and kept.email_normalized != (
                pair.duplicate_id.email_normalized
            ):
                raise UserError(_(
                    "The two contacts have different email addresses: only an "
                    "administrator can merge %(kept)s and %(other)s.",
                    kept=kept.display_name, other=pair.duplicate_id.display_name))
            # Odoo's merge refuses two users' contacts with its own message.
            wizard._merge((kept | pair.duplicate_id).ids, kept.sudo())
            # the merge moved this pair's link to the contact kept, too
            pair.write({"state": "merged", "duplicate_id": False})
        return True

    def action_dismiss(self):
        self.write({"state": "dismissed"})
        return True


def _similarity(first, second):
    return round(100 * difflib.SequenceMatcher(None, _plain(first), _plain(second)).ratio())


def _plain(name):
    decomposed = unicodedata.normalize("NFKD", name or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())

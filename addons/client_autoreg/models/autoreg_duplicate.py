# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Likely duplicate contacts, found by the keys intake matches on.

Intake never creates a second contact for a known address or number, but
contacts typed by hand or imported may still be duplicates. A nightly job
(and a button) lists pairs sharing a normalised email or phone number, with
the similarity of their names; merging uses Odoo's partner merge, which moves
every record pointing to the contact (requests, Telegram chats, consents,
inbound messages) to the one kept.
"""

import difflib
import unicodedata

from odoo import _, api, fields, models

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
                "message": _("%(count)s new pairs of likely duplicates.", count=found),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

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

    def action_merge(self):
        """Merge each duplicate into the contact kept."""
        wizard = self.env["base.partner.merge.automatic.wizard"]
        for pair in self.filtered(lambda rec: rec.state == "open" and rec.duplicate_id):
            kept = pair.partner_id
            # Odoo's merge refuses two users' contacts, and contacts with
            # different emails to non-administrators, with its own message.
            wizard._merge((kept | pair.duplicate_id).ids, kept)
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

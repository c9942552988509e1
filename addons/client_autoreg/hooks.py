# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What installing the module does to data that existed before it."""


def post_init_hook(env):
    # Teams created before the module assign and notify like new ones.
    env["helpdesk.ticket.team"]._autoreg_set_default_registered_action()
    # Least busy reads per-member counters: count the existing requests.
    env["autoreg.assignee.load"]._recount()
    mark_existing_identifiers_as_staff_entered(env.cr)


def mark_existing_identifiers_as_staff_entered(cr):
    """Addresses and numbers that existed before intake were entered by the
    company (staff, imports): they are proven. Those intake created from a
    website post were only typed by a visitor: they stay claims."""
    cr.execute(
        """
        WITH typed AS (
            SELECT DISTINCT inbound.partner_id AS id
              FROM autoreg_inbound inbound
              JOIN res_partner partner ON partner.id = inbound.partner_id
             WHERE inbound.door = 'website'
               AND partner.create_date >= inbound.create_date
        )
        UPDATE res_partner
           SET autoreg_email_proof = CASE WHEN COALESCE(email, '') != ''
                                          THEN 'staff' END,
               autoreg_phone_proof = CASE WHEN COALESCE(phone, '') != ''
                                            OR COALESCE(mobile, '') != ''
                                          THEN 'staff' END
         WHERE id NOT IN (SELECT id FROM typed)
           AND autoreg_email_proof IS NULL AND autoreg_phone_proof IS NULL
        """
    )

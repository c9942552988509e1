# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How many forms a network posted lately: one counter row per network.

Each post, whatever becomes of it (accepted, refused by validation, by the
captcha or by this very limit), adds one hit in a single upsert: concurrent
posts of one network cannot all pass the check before any of them is
counted. IPv6 addresses count per /64, the block one subscriber usually
holds; IPv4 addresses count alone.
"""

import ipaddress

from odoo import api, fields, models


class AutoregRateLimit(models.Model):
    _name = "autoreg.rate.limit"
    _description = "Website Form Rate Limit"
    _log_access = False

    key = fields.Char(required=True, readonly=True, help="An IPv4 address or an IPv6 /64.")
    window_start = fields.Datetime(required=True, readonly=True)
    hits = fields.Integer(readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(key)", "One counter per network.")]

    @api.model
    def _network_of(self, ip_address):
        try:
            address = ipaddress.ip_address(ip_address or "")
        except ValueError:
            return ip_address or "?"
        if address.version == 6:
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)

    @api.model
    def _hit(self, ip_address, window_minutes):
        """Count one post of ``ip_address``; :return: the posts of its
        network in the current window, this one included."""
        self.env.cr.execute(
            """
            INSERT INTO autoreg_rate_limit AS counter (key, window_start, hits)
            VALUES (%(key)s, NOW() AT TIME ZONE 'UTC', 1)
            ON CONFLICT (key) DO UPDATE SET
                hits = CASE WHEN counter.window_start
                                 < (NOW() AT TIME ZONE 'UTC') - make_interval(mins => %(window)s)
                            THEN 1 ELSE counter.hits + 1 END,
                window_start = CASE WHEN counter.window_start
                                 < (NOW() AT TIME ZONE 'UTC') - make_interval(mins => %(window)s)
                            THEN NOW() AT TIME ZONE 'UTC' ELSE counter.window_start END
            RETURNING hits
            """,
            {"key": self._network_of(ip_address), "window": int(window_minutes)},
        )
        return self.env.cr.fetchone()[0]

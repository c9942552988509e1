from . import autoreg_lock
from . import autoreg_inbound
from . import helpdesk_ticket
from . import helpdesk_ticket_channel
from . import helpdesk_ticket_team
from . import res_partner

# Terraform >= 1.5: import web-1's association with a shared IP. The id is
# "<server_id>/<ip_address_id>".
import {
  to = rackspace_server_ip_association.web["a1000000-0000-4000-8000-000000000001"]
  id = "a1000000-0000-4000-8000-000000000001/2d1a1b5e-6c3f-4f0e-9a57-3c4b1e0d7a21"
}

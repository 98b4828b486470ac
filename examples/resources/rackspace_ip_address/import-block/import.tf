# Terraform >= 1.5: import the shared IP with this id into
# rackspace_ip_address.shared (the example above). `terraform plan` shows the
# import, `terraform apply` records it in state.
import {
  to = rackspace_ip_address.shared
  id = "2d1a1b5e-6c3f-4f0e-9a57-3c4b1e0d7a21"
}

locals {
  web_servers = toset([
    "a1000000-0000-4000-8000-000000000001",
    "a1000000-0000-4000-8000-000000000002",
  ])
}

resource "rackspace_ip_address" "shared" {
  network_id = "00000000-0000-0000-0000-000000000000"
  server_ids = local.web_servers
}

# One explicit association per server: only then may the server carry
# traffic for the shared address. Because each association references the
# IP's id, `terraform destroy` removes every association before the IP.
resource "rackspace_server_ip_association" "web" {
  for_each      = local.web_servers
  server_id     = each.value
  ip_address_id = rackspace_ip_address.shared.id
}

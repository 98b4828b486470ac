# Each server's port on the network: the shared address is provisioned on
# these ports, so servers can later join or leave without a new address.
data "rackspace_ports" "server" {
  for_each = var.server_ids

  server_id  = each.value
  network_id = var.network_id
}

resource "rackspace_ip_address" "shared" {
  network_id = var.network_id
  version    = var.ip_version
  port_ids   = flatten([for s in var.server_ids : data.rackspace_ports.server[s].ids])
}

# One explicit association per server. Each references the address's id, so
# Terraform deletes all of them before it deletes the address, which is the
# order the API requires.
resource "rackspace_server_ip_association" "server" {
  for_each = var.server_ids

  server_id     = each.value
  ip_address_id = rackspace_ip_address.shared.id
}

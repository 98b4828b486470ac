# A shared IPv4 address on PublicNet, provisioned on the PublicNet ports of
# two servers in the same public IP zone. The provider looks the ports up
# from the server ids (sent to the API as `device_ids`).
resource "rackspace_ip_address" "shared" {
  network_id = "00000000-0000-0000-0000-000000000000"
  version    = 4
  server_ids = [
    "a1000000-0000-4000-8000-000000000001",
    "a1000000-0000-4000-8000-000000000002",
  ]
}

# The same, naming the ports directly. Unlike `server_ids`, the set of
# `port_ids` can change in place (the API's PUT), so servers can join or
# leave without a new address.
data "rackspace_ports" "web3" {
  server_id  = "a1000000-0000-4000-8000-000000000003"
  network_id = "00000000-0000-0000-0000-000000000000"
}

data "rackspace_ports" "web4" {
  server_id  = "a1000000-0000-4000-8000-000000000004"
  network_id = "00000000-0000-0000-0000-000000000000"
}

resource "rackspace_ip_address" "by_port" {
  network_id = "00000000-0000-0000-0000-000000000000"
  port_ids   = concat(data.rackspace_ports.web3.ids, data.rackspace_ports.web4.ids)
}

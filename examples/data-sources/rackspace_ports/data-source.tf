# The ports of one server on PublicNet: how to find the `port_ids` to share.
data "rackspace_ports" "web1_public" {
  server_id  = "a1000000-0000-4000-8000-000000000001"
  network_id = "00000000-0000-0000-0000-000000000000"
}

output "web1_public_port_ids" {
  value = data.rackspace_ports.web1_public.ids
}

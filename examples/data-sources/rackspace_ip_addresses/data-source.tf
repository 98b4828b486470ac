# Every IPv4 address on PublicNet that is attached to one server.
data "rackspace_ip_addresses" "web1" {
  network_id = "00000000-0000-0000-0000-000000000000"
  server_id  = "a1000000-0000-4000-8000-000000000001"
  version    = 4
}

output "web1_public_addresses" {
  value = [for ip in data.rackspace_ip_addresses.web1.ip_addresses : ip.address]
}

# The shared IPs explicitly associated with one server.
data "rackspace_server_ip_associations" "web1" {
  server_id = "a1000000-0000-4000-8000-000000000001"
}

output "web1_associated_addresses" {
  value = [for a in data.rackspace_server_ip_associations.web1.ip_associations : a.address]
}

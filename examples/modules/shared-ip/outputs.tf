output "address" {
  description = "The shared IP address."
  value       = rackspace_ip_address.shared.address
}

output "ip_address_id" {
  description = "Id of the shared IP address."
  value       = rackspace_ip_address.shared.id
}

output "association_ids" {
  description = "Association ids (`<server_id>/<ip_address_id>`), keyed by server id."
  value       = { for s, a in rackspace_server_ip_association.server : s => a.id }
}

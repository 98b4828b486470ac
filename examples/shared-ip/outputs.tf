output "address" {
  description = "The shared IP address."
  value       = module.shared_ip.address
}

output "ip_address_id" {
  description = "Id of the shared IP address."
  value       = module.shared_ip.ip_address_id
}

output "association_ids" {
  description = "Association ids, keyed by server id."
  value       = module.shared_ip.association_ids
}

# Look up one IP address by the address itself (or by its `id`). In the
# sandbox, 203.0.113.2 is the fixed PublicNet address of web-1.
data "rackspace_ip_address" "web1_public" {
  address = "203.0.113.2"
}

output "web1_public_ip" {
  value = {
    id       = data.rackspace_ip_address.web1_public.id
    type     = data.rackspace_ip_address.web1_public.type
    port_ids = data.rackspace_ip_address.web1_public.port_ids
  }
}

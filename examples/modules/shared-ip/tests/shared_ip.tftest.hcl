# `terraform test` for the module (Terraform >= 1.7), run against a real
# Rackspace account or the local sandbox: the provider is configured from
# the RACKSPACE_* environment (see `rackspace-sandbox env`).

variables {
  server_ids = [
    "a1000000-0000-4000-8000-000000000001",
    "a1000000-0000-4000-8000-000000000002",
  ]
}

run "rejects_a_single_server" {
  command = plan

  variables {
    server_ids = ["a1000000-0000-4000-8000-000000000001"]
  }

  expect_failures = [var.server_ids]
}

run "rejects_an_unknown_ip_version" {
  command = plan

  variables {
    ip_version = 5
  }

  expect_failures = [var.ip_version]
}

run "shares_one_address_between_the_servers" {
  assert {
    condition     = length(rackspace_ip_address.shared.port_ids) == 2
    error_message = "The address should be provisioned on one port per server."
  }

  assert {
    condition     = can(cidrhost("${output.address}/32", 0))
    error_message = "The output address should be an IPv4 address."
  }

  assert {
    condition     = toset(keys(output.association_ids)) == toset(var.server_ids)
    error_message = "There should be one association per server."
  }

  assert {
    condition = alltrue([
      for server, id in output.association_ids : id == "${server}/${output.ip_address_id}"
    ])
    error_message = "Association ids should be <server_id>/<ip_address_id>."
  }
}

# A root configuration that shares one public IP between two web servers
# with the `shared-ip` module. `./scripts/quickstart.sh` applies and destroys
# it against the local sandbox.
terraform {
  required_version = ">= 1.0"

  required_providers {
    rackspace = {
      source  = "rackspace/rackspace"
      version = "~> 0.1"
    }
  }
}

# Credentials, region and endpoint come from the RACKSPACE_* environment.
provider "rackspace" {}

module "shared_ip" {
  source = "../modules/shared-ip"

  server_ids = var.server_ids
  network_id = var.network_id
}

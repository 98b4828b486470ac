terraform {
  required_providers {
    rackspace = {
      source  = "rackspace/rackspace"
      version = "~> 0.1"
    }
  }
}

# Credentials are best left to the environment: RACKSPACE_USERNAME and
# RACKSPACE_API_KEY (or RACKSPACE_PASSWORD). `rackspace-sandbox env` prints
# the exports that point the provider at the local sandbox instead.
provider "rackspace" {
  region = "DFW"
}

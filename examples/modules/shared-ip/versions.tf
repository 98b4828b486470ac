terraform {
  required_version = ">= 1.0"

  required_providers {
    rackspace = {
      source  = "rackspace/rackspace"
      version = "~> 0.1"
    }
  }
}

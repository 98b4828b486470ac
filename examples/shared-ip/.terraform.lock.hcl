# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/rackspace/rackspace" {
  version     = "0.1.0"
  constraints = "~> 0.1"
  hashes = [
    "h1:fxczYmCPiHnf6h6TDXzAm6M9/hiKoHFMP3cCs35ZuVY=",
  ]
}

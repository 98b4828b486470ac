# A shared IP is imported by its id.
terraform import rackspace_ip_address.shared 2d1a1b5e-6c3f-4f0e-9a57-3c4b1e0d7a21

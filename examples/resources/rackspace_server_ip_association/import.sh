# An association is imported by "<server_id>/<ip_address_id>".
terraform import 'rackspace_server_ip_association.web["a1000000-0000-4000-8000-000000000001"]' \
  a1000000-0000-4000-8000-000000000001/2d1a1b5e-6c3f-4f0e-9a57-3c4b1e0d7a21

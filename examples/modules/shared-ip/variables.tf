variable "server_ids" {
  description = "UUIDs of the servers that share the address (at least two; for PublicNet, in the same public IP zone)."
  type        = set(string)

  validation {
    condition     = length(var.server_ids) >= 2
    error_message = "A shared IP needs at least two servers."
  }
}

variable "network_id" {
  description = "Network to allocate the address on. Defaults to PublicNet."
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
}

variable "ip_version" {
  description = "IP version of the shared address: 4 or 6."
  type        = number
  default     = 4

  validation {
    condition     = contains([4, 6], var.ip_version)
    error_message = "The ip_version must be 4 or 6."
  }
}

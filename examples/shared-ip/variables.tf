variable "server_ids" {
  description = "Servers that share the address. The defaults are web-1 and web-2 of the sandbox's seed."
  type        = set(string)
  default = [
    "a1000000-0000-4000-8000-000000000001",
    "a1000000-0000-4000-8000-000000000002",
  ]
}

variable "network_id" {
  description = "Network of the shared address (PublicNet by default)."
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
}

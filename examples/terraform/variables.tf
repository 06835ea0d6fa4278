variable "endpoint" {
  description = "URL of the running codestar-local server."
  type        = string
  default     = "http://127.0.0.1:4599"
}

variable "account_id" {
  description = "Used as the access key id: a 12-digit key id is the account codestar-local files the resources under."
  type        = string
  default     = "123456789012"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "environment" {
  description = "Value of the Environment tag on every taggable resource."
  type        = string
  default     = "dev"
}

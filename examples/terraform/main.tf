# Connections and hosts of both services, served by codestar-local.
# Start the server first: codestar-local serve  (http://127.0.0.1:4599)

provider "aws" {
  region     = var.region
  access_key = var.account_id
  secret_key = "codestar-local"

  # Nothing leaves the machine: no STS, no IMDS, no region or credential checks.
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  # Or leave this block out and set AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS and
  # AWS_ENDPOINT_URL_CODECONNECTIONS to the server's URL.
  endpoints {
    codestarconnections = var.endpoint
    codeconnections     = var.endpoint
  }

  default_tags {
    tags = {
      ManagedBy = "terraform"
    }
  }
}

locals {
  tags = {
    Environment = var.environment
    Project     = "codestar-local-example"
  }
}

# -- CodeStar Connections (codestar-connections) ---------------------------------

resource "aws_codestarconnections_connection" "github" {
  name          = "example-github"
  provider_type = "GitHub"
  tags          = local.tags
}

# An installed provider needs a host; the provider's hosts take no tags.
resource "aws_codestarconnections_host" "ghes" {
  name              = "example-ghes"
  provider_endpoint = "https://github.example.com"
  provider_type     = "GitHubEnterpriseServer"
}

resource "aws_codestarconnections_connection" "ghes" {
  name     = "example-ghes"
  host_arn = aws_codestarconnections_host.ghes.arn
  tags     = local.tags
}

# -- CodeConnections (codeconnections) --------------------------------------------

resource "aws_codeconnections_connection" "bitbucket" {
  name          = "example-bitbucket"
  provider_type = "Bitbucket"
  tags          = local.tags
}

resource "aws_codeconnections_host" "gitlab" {
  name              = "example-gitlab"
  provider_endpoint = "https://gitlab.example.com"
  provider_type     = "GitLabSelfManaged"
  tags              = local.tags
}

resource "aws_codeconnections_connection" "gitlab" {
  name     = "example-gitlab"
  host_arn = aws_codeconnections_host.gitlab.arn
  tags     = local.tags

  # provider_type comes from the host. Provider 5.100.0 plans it as unknown on any
  # update and then replaces the connection (it does so against AWS too); keeping
  # the known value makes a tag change an in-place update.
  lifecycle {
    ignore_changes = [provider_type]
  }
}

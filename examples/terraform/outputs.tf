output "connection_arns" {
  description = "Every connection, by resource name. They start PENDING; see docs/TERRAFORM.md for the handshake."
  value = {
    github    = aws_codestarconnections_connection.github.arn
    ghes      = aws_codestarconnections_connection.ghes.arn
    bitbucket = aws_codeconnections_connection.bitbucket.arn
    gitlab    = aws_codeconnections_connection.gitlab.arn
  }
}

output "host_arns" {
  value = {
    ghes   = aws_codestarconnections_host.ghes.arn
    gitlab = aws_codeconnections_host.gitlab.arn
  }
}

# One developer's share of the stack, as devenv's phases make it for each: a secret (and its value),
# a target group with the host registered, a host rule on the HTTPS listener, an alias record, a log
# group and an unhealthy-target alarm. ../main.tf makes one per developer (`for_each`).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "name" { type = string }
variable "port" { type = number }
variable "priority" { type = number }
variable "project" { type = string }
variable "base_domain" { type = string }
variable "hosted_zone_id" { type = string }
variable "vpc_id" { type = string }
variable "instance_id" { type = string }
variable "listener_arn" { type = string }
variable "lb_dns_name" { type = string }
variable "lb_zone_id" { type = string }
variable "lb_arn_suffix" { type = string }

# ---------------------------------------------------------------- secrets

resource "aws_secretsmanager_secret" "password" {
  name                    = "${var.project}/${var.name}/password"
  recovery_window_in_days = 7
  tags                    = { "devenv:developer" = var.name }
}

resource "aws_secretsmanager_secret_version" "password" {
  secret_id = aws_secretsmanager_secret.password.id
  # A stand-in value: the mirror holds the AWS provider only (no random_password); devenv generates one.
  secret_string = sha256("${var.project}/${var.name}")
}

# ---------------------------------------------------------------- alb, https

resource "aws_lb_target_group" "dev" {
  name     = substr("${var.project}-${var.name}", 0, 32)
  port     = var.port
  protocol = "HTTPS"
  vpc_id   = var.vpc_id
  health_check {
    path     = "/healthz"
    protocol = "HTTPS"
    matcher  = "200"
  }
  stickiness {
    type    = "lb_cookie"
    enabled = true
  }
  tags = { "devenv:developer" = var.name }
}

resource "aws_lb_target_group_attachment" "dev" {
  target_group_arn = aws_lb_target_group.dev.arn
  target_id        = var.instance_id
  port             = var.port
}

resource "aws_lb_listener_rule" "dev" {
  listener_arn = var.listener_arn
  priority     = var.priority
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.dev.arn
  }
  condition {
    host_header { values = ["${var.name}.${var.base_domain}"] }
  }
}

# ---------------------------------------------------------------- dns

resource "aws_route53_record" "dev" {
  zone_id = var.hosted_zone_id
  name    = "${var.name}.${var.base_domain}"
  type    = "A"
  alias {
    name                   = var.lb_dns_name
    zone_id                = var.lb_zone_id
    evaluate_target_health = true
  }
}

# ---------------------------------------------------------------- monitoring

resource "aws_cloudwatch_log_group" "dev" {
  name              = "/${var.project}/containers/${var.name}"
  retention_in_days = 30
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  alarm_name          = "${var.project}-unhealthy-${var.name}"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.lb_arn_suffix, TargetGroup = aws_lb_target_group.dev.arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
}

output "secret_arn" { value = aws_secretsmanager_secret.password.arn }

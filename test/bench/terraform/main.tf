# devenv's AWS side as a plain Terraform configuration, for `npm run bench`'s side-by-side rows
# (test/bench/terraform.ts runs it against the same moto server, behind the same latency proxy).
# The same resources, tags and dependencies as devenv's phases; no SSH or container work (the
# bench skips storage, containers and test for devenv too).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" { type = string }
variable "region" { type = string }
variable "project" { type = string }
variable "developers" { type = list(string) }
variable "base_domain" { type = string }
variable "hosted_zone_id" { type = string }
variable "ami_id" { type = string }
variable "instance_type" { type = string }
variable "admin_cidr" { type = string }
variable "public_key" { type = string }
variable "base_port" { type = number }
variable "data_volume_gib" { type = number }
variable "root_volume_gib" { type = number }

locals {
  az_a = "${var.region}a"
  az_b = "${var.region}b"
  # Ports and priorities by position, as devenv allocates them on a first run.
  devs = { for i, d in var.developers : d => { port = var.base_port + i, priority = i + 1 } }
  tags = { Project = var.project, ManagedBy = "terraform", "devenv:project" = var.project }
}

provider "aws" {
  region                      = var.region
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = false
  endpoints {
    acm            = var.endpoint
    backup         = var.endpoint
    cloudwatch     = var.endpoint
    ec2            = var.endpoint
    elbv2          = var.endpoint
    iam            = var.endpoint
    logs           = var.endpoint
    route53        = var.endpoint
    secretsmanager = var.endpoint
    sns            = var.endpoint
    sts            = var.endpoint
  }
  default_tags { tags = local.tags }
}

# ---------------------------------------------------------------- vpc

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  enable_dns_support   = true
  tags                 = { Name = "${var.project}-vpc" }
}

resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  availability_zone       = local.az_a
  map_public_ip_on_launch = true
  tags                    = { Name = "${var.project}-subnet-a" }
}

resource "aws_subnet" "b" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.2.0/24"
  availability_zone       = local.az_b
  map_public_ip_on_launch = true
  tags                    = { Name = "${var.project}-subnet-b" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${var.project}-igw" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
  tags = { Name = "${var.project}-rtb" }
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.public.id
}

# ---------------------------------------------------------------- sg

resource "aws_security_group" "alb" {
  name        = "${var.project}-alb-sg"
  description = "load balancer: HTTP and HTTPS from anywhere"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "host" {
  name        = "${var.project}-host-sg"
  description = "host: SSH from the admin, code-server from the load balancer"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }
  ingress {
    from_port       = var.base_port
    to_port         = var.base_port + length(var.developers) - 1
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# ---------------------------------------------------------------- iam

resource "aws_iam_role" "host" {
  name = "${var.project}-host-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "host" {
  name = "${var.project}-host-policy"
  role = aws_iam_role.host.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [for d in module.developer : d.secret_arn]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = ["arn:aws:logs:${var.region}:*:log-group:/${var.project}/*"]
      },
    ]
  })
}

resource "aws_iam_instance_profile" "host" {
  name = "${var.project}-host-profile"
  role = aws_iam_role.host.name
}

# ---------------------------------------------------------------- ec2

resource "aws_key_pair" "admin" {
  key_name   = "${var.project}-admin-key"
  public_key = var.public_key
}

resource "aws_instance" "host" {
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.host.id]
  iam_instance_profile   = aws_iam_instance_profile.host.name
  key_name               = aws_key_pair.admin.key_name
  root_block_device {
    volume_size = var.root_volume_gib
    volume_type = "gp3"
    encrypted   = true
  }
  metadata_options {
    http_tokens = "required"
  }
  tags = { Name = "${var.project}-host" }
}

resource "aws_ebs_volume" "data" {
  availability_zone = local.az_a
  size              = var.data_volume_gib
  type              = "gp3"
  encrypted         = true
  tags              = { Name = "${var.project}-data" }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.host.id
}

# ---------------------------------------------------------------- cert

resource "aws_acm_certificate" "wildcard" {
  domain_name       = "*.${var.base_domain}"
  validation_method = "DNS"
  lifecycle { create_before_destroy = true }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for o in aws_acm_certificate.wildcard.domain_validation_options : o.domain_name => o
  }
  zone_id         = var.hosted_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "wildcard" {
  certificate_arn         = aws_acm_certificate.wildcard.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

# ---------------------------------------------------------------- alb

resource "aws_lb" "main" {
  name               = substr("${var.project}-alb", 0, 32)
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
  idle_timeout       = 3600
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.wildcard.certificate_arn
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

# ---------------------------------------------------------------- per developer

# Each developer's secret, target group and registration, host rule, alias record, log group and
# alarm (./developer/main.tf), one module instance per developer.
module "developer" {
  source         = "./developer"
  for_each       = local.devs
  name           = each.key
  port           = each.value.port
  priority       = each.value.priority
  project        = var.project
  base_domain    = var.base_domain
  hosted_zone_id = var.hosted_zone_id
  vpc_id         = aws_vpc.main.id
  instance_id    = aws_instance.host.id
  listener_arn   = aws_lb_listener.https.arn
  lb_dns_name    = aws_lb.main.dns_name
  lb_zone_id     = aws_lb.main.zone_id
  lb_arn_suffix  = aws_lb.main.arn_suffix
}

# ---------------------------------------------------------------- monitoring

resource "aws_cloudwatch_log_group" "system" {
  name              = "/${var.project}/system"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_group" "docker" {
  name              = "/${var.project}/docker"
  retention_in_days = 30
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "${var.project}-cpu"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
}

resource "aws_cloudwatch_metric_alarm" "status_check" {
  alarm_name          = "${var.project}-status-check"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
}

resource "aws_cloudwatch_metric_alarm" "cpu_credits" {
  alarm_name          = "${var.project}-cpu-credits"
  namespace           = "AWS/EC2"
  metric_name         = "CPUCreditBalance"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 50
  comparison_operator = "LessThanThreshold"
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.project}-alb-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_iam_role" "backup" {
  name = "${var.project}-backup-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "backup.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "backup" {
  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}

resource "aws_backup_vault" "main" {
  name = "${var.project}-vault"
}

resource "aws_backup_plan" "main" {
  name = "${var.project}-plan"
  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.main.name
    schedule          = "cron(0 3 * * ? *)"
    lifecycle { delete_after = 30 }
  }
}

resource "aws_backup_selection" "data" {
  name         = "${var.project}-data"
  plan_id      = aws_backup_plan.main.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [aws_ebs_volume.data.arn]
}

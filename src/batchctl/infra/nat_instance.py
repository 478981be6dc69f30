"""A NAT instance: the demo cluster's cheap way out to the internet for one zone's private subnet."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from batchctl.infra.acknowledgements import accept_explicit_zone, acknowledge, acknowledge_managed_policy

# Amazon Linux 2023's root device; 8 GiB is the size of its AMI snapshot.
ROOT_DEVICE = "/dev/xvda"
ROOT_VOLUME_GIB = 8
# dnf on Amazon Linux 2023 needs more memory than a t3.nano's 0.5 GiB leaves it (the install is OOM-killed): a swap
# file gives it room, so the demo keeps the cheapest instance type. https://repost.aws/knowledge-center/ec2-memory-swap-file
SWAP_MIB = 1024
# The package mirrors can be unreachable for the first seconds after boot: dnf is retried before giving up.
DNF_ATTEMPTS = 5


def nat_user_data(vpc_cidr: str) -> ec2.UserData:
    """Forward packets and masquerade the VPC's addresses behind the instance's own."""
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        "set -euo pipefail",
        f"dd if=/dev/zero of=/swapfile bs=1M count={SWAP_MIB}",
        "chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile",
        f"for attempt in $(seq {DNF_ATTEMPTS}); do dnf install -y iptables-services && break; "
        f'[ "$attempt" = {DNF_ATTEMPTS} ] && exit 1; sleep 10; done',
        "systemctl enable --now iptables",
        "echo 'net.ipv4.ip_forward=1' > /etc/sysctl.d/90-batchctl-nat.conf",
        "sysctl -p /etc/sysctl.d/90-batchctl-nat.conf",
        "interface=$(ip -o route show default | awk '{print $5; exit}')",
        f'iptables -t nat -A POSTROUTING -o "$interface" -s {vpc_cidr} -j MASQUERADE',
        # The iptables-services defaults reject forwarded packets; the security group filters instead.
        "iptables -F FORWARD",
        "service iptables save",
    )
    return user_data


class NatInstance(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnet: ec2.ISubnet,
        security_group: ec2.ISecurityGroup,
        instance_type: str,
        vpc_cidr: str,
        name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        machine_type = ec2.InstanceType(instance_type)
        cpu_type = (
            ec2.AmazonLinuxCpuType.ARM_64
            if machine_type.architecture == ec2.InstanceArchitecture.ARM_64
            else ec2.AmazonLinuxCpuType.X86_64
        )
        self.instance = ec2.Instance(
            self,
            "Instance",
            instance_name=name,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=[subnet]),
            instance_type=machine_type,
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu_type),
            security_group=security_group,
            # It forwards other hosts' packets.
            source_dest_check=False,
            http_endpoint=True,
            http_tokens=ec2.HttpTokens.REQUIRED,
            # Managed through SSM Session Manager: no key pair, no inbound SSH.
            ssm_session_permissions=True,
            user_data=nat_user_data(vpc_cidr),
            user_data_causes_replacement=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name=ROOT_DEVICE,
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GIB, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                    ),
                )
            ],
        )
        accept_explicit_zone(self.instance.instance)
        acknowledge_managed_policy(
            self.instance.role,
            "AmazonSSMManagedInstanceCore",
            "The AWS-maintained policy for SSM Session Manager; it tracks the actions SSM needs.",
        )
        acknowledge(
            self.instance,
            "AwsSolutions-EC26",
            "The root volume is encrypted (block_devices above; asserted by the tests). cdk-nag 3.0.2's rule "
            "fails on an instance without a launch template when the stack holds other launch templates.",
        )
        acknowledge(
            self.instance,
            "AwsSolutions-EC28",
            "A NAT instance's health shows in its status checks; 1-minute metrics add cost, not insight.",
        )
        acknowledge(
            self.instance,
            "AwsSolutions-EC29",
            "Termination protection would block stack deletion; the instance is stateless and rebuilt by the stack.",
        )

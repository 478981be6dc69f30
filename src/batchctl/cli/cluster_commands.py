"""Cluster commands: init, validate, synth, diff, deploy, status, destroy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from batchctl import outputs as keys
from batchctl.cli import render
from batchctl.cli.context import AppContext
from batchctl.cli.interruptions import explain_deploy_interruption
from batchctl.cli.options import confirm, pass_app, yes_option
from batchctl.cli.progress import StackProgress
from batchctl.errors import ConfigError

# The SDK (and with it boto3 and pydantic) is imported inside the commands: `batchctl --help` stays quick.
if TYPE_CHECKING:
    from batchctl.api.cluster import PlanSummary, ValidationReport
    from batchctl.config.costs import CostLine


def _check_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from batchctl.api.starter import CLUSTER_NAME_PATTERN, NAME_RULE

    if value is not None and not re.fullmatch(CLUSTER_NAME_PATTERN, value):
        raise click.BadParameter(NAME_RULE, ctx=ctx, param=param)
    return value


@click.command()
@click.option("--production", is_flag=True, help="Start from the production profile (3 zones, endpoints, GPU).")
@click.option("-f", "--file", "path", type=click.Path(dir_okay=False, path_type=Path), help="Where to write it.")
@click.option("--name", callback=_check_name, help="Cluster name to write into the file.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--from-tfvars",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Take the settings from the Terraform project's terraform.tfvars (see docs/migrating.md).",
)
@pass_app
def init(
    app: AppContext, production: bool, path: Path | None, name: str | None, force: bool, from_tfvars: Path | None
) -> None:
    """Write a commented starter batchctl.yaml."""
    from batchctl.api.starter import init_config

    if from_tfvars and production:
        raise click.UsageError("--from-tfvars and --production do not combine: the variables choose the profile")
    target = path or app.config_path
    result = init_config(target, production=production, name=name, force=force, from_tfvars=from_tfvars)
    if app.json:
        render.as_json(result)
        return
    for line in result.variables:
        given = f"{line.variable} = {line.given}" if line.given is not None else line.variable
        if line.mapped:
            render.ok(f"{given} -> {line.outcome}")
        else:
            render.step(f"{given}: {line.outcome}")
    render.ok(f"wrote {target} from {from_tfvars}" if from_tfvars else f"wrote {target} ({result.profile} profile)")
    render.hint(f"next: {app.command(config=target)} validate")


@click.command()
@click.option("--no-security", is_flag=True, help="Skip the security rules (cdk-nag and checkov).")
@pass_app
def validate(app: AppContext, no_security: bool) -> None:
    """Check the config, synthesize the template, run cfn-lint, cdk-nag and checkov."""
    with StackProgress() as progress:
        report = app.api().validate(security=not no_security, progress=progress)
    if app.json:
        render.as_json(report)
    else:
        render.findings(report.findings)
        _print_costs(report.costs)
        if report.skipped:
            render.note(report.skipped)
        else:
            render.ok(f"template: {report.resource_count} resources, {report.template_bytes // 1024} KiB")
            for item in report.lint:
                render.fail(f"cfn-lint {item.rule_id} {item.path}: {item.message}")
            if not report.lint:
                render.ok("cfn-lint: no errors or warnings")
            if not no_security:
                _print_security(report)
    problems = report.problem_count
    if problems:
        raise ConfigError(f"{app.config_path}: {problems} problem(s) found")
    render.ok(f"{app.config_path} is valid")
    if not app.json:
        render.hint(f"next: {app.command()} diff")


def _print_security(report: ValidationReport) -> None:
    for nag in report.nag:
        render.fail(f"cdk-nag {nag.rule_id} {nag.resource}: {nag.message}")
    if not report.nag:
        render.ok("cdk-nag AwsSolutions: no unsuppressed findings")
    for check in report.checkov:
        render.fail(f"checkov {check}")
    if report.checkov_not_run:
        render.note(report.checkov_not_run)
    elif not report.checkov:
        accepted = len(report.checkov_skips)
        render.ok(
            f"checkov {report.checkov_version}: no failed checks"
            + (f" ({accepted} accepted in the template, each with its reason)" if accepted else "")
        )


@click.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.option("--data", "data_stack", is_flag=True, help="The data stack's template (buckets, repository).")
@pass_app
def synth(app: AppContext, out_file: Path | None, data_stack: bool) -> None:
    """Print the compute stack's CloudFormation template (JSON), or the data stack's."""
    result = app.api().synth(data=data_stack, out=out_file)
    if app.json:
        render.as_json(result)
    elif out_file:
        render.ok(f"wrote {out_file} ({len(result.body) // 1024} KiB)")
    else:
        click.echo(result.body)


@click.command()
@pass_app
def diff(app: AppContext) -> None:
    """Preview what a deploy would change (a change set, not executed)."""
    with StackProgress() as progress:
        plan = app.api().diff(progress=progress)
    if app.json:
        render.as_json(plan)
        return
    _print_plan(plan)
    if plan.has_changes:
        render.hint(f"next: {app.command()} deploy")


@click.command()
@yes_option
@pass_app
@explain_deploy_interruption
def deploy(app: AppContext, yes: bool) -> None:
    """Create or update the cluster through a CloudFormation change set."""
    api = app.api()
    render.step(f"deploying {api.config.name} to {api.target}")
    with StackProgress() as progress:

        def approve(plan: PlanSummary) -> bool:
            with progress.paused():
                _print_plan(plan)
                return confirm(f"Apply these {plan.change_count} changes to {api.config.name}?", yes)

        result = api.deploy(confirm=approve, progress=progress)
    if not result.changed and not result.cancelled:
        _print_plan(result.plan)
    if result.cancelled:
        if app.json:
            render.as_json(result)
        render.note("cancelled: nothing was changed")
        return
    for line in result.notes:
        render.note(line)
    if result.changed:
        render.ok(f"{result.stack} {result.status} in {result.seconds:.1f} s")
    if app.json:
        render.as_json(result)
        return
    _print_outputs(result.outputs)
    render.hint(f"next: {app.command()} status")


@click.command()
@pass_app
def status(app: AppContext) -> None:
    """Show the cluster's stack, outputs, compute environments and queues."""
    state = app.api().status()
    if app.json:
        render.as_json(state)
        return
    _print_stack_state(state.data_stack_name, state.data_stack_status)
    if state.stack_status is None:
        render.fail(f"{state.stack_name} is not deployed in {state.target}")
        render.hint(f"deploy it: {app.command()} deploy")
        return
    _print_stack_state(state.stack_name, state.stack_status, f" (updated {state.updated}) in {state.target}")
    if not state.healthy:
        render.hint(f"`{app.command()} deploy` recovers a stack a failed or interrupted deploy left behind")
    if state.resources:
        render.table(
            None,
            ["kind", "name", "state", "status", "reason"],
            [(r.kind, r.name, r.state, r.status, r.reason) for r in state.resources],
        )
    _print_outputs(state.outputs)
    render.hint(f"next: {app.command()} queues; {app.command()} submit JOB_FILE")


@click.command()
@yes_option
@click.option("--delete-data", is_flag=True, help="Also delete buckets holding objects and repositories with images.")
@pass_app
def destroy(app: AppContext, yes: bool, delete_data: bool) -> None:
    """Delete the cluster; buckets holding objects are kept unless --delete-data."""
    from batchctl.api.cluster import DestroyPlan

    api = app.api()

    def approve(plan: DestroyPlan) -> bool:
        if plan.stack_id:
            render.step(f"{plan.stack_name}: {plan.resource_count} resources in {api.target}")
        data = "deleted with their contents" if delete_data else "kept (--delete-data removes them)"
        if plan.data_stack_id:
            stores = ", ".join(plan.buckets + plan.repositories)
            render.note(f"data stack {plan.data_stack_name} ({stores}): {data}")
        return confirm(f"Destroy {plan.stack_name}?", yes)

    with StackProgress() as progress:

        def approve_paused(plan: DestroyPlan) -> bool:
            with progress.paused():
                return approve(plan)

        result = api.destroy(delete_data=delete_data, confirm=approve_paused, progress=progress)
    if result.cancelled:
        if app.json:
            render.as_json(result)
        render.note("cancelled: nothing was deleted")
        return
    if app.json:
        render.as_json(result)
        return
    for item in result.deleted:
        render.ok(f"deleted {item}")
    if not result.deleted:
        render.ok("nothing to delete")
    for item in result.kept:
        render.note(f"kept {item}")


def _print_stack_state(name: str, status: str | None, suffix: str = "") -> None:
    from batchctl.api.cluster import HEALTHY_STATUSES

    if status is None:
        render.note(f"{name}: not deployed")
    elif status in HEALTHY_STATUSES:
        render.ok(f"{name}: {status}{suffix}")
    else:
        render.fail(f"{name}: {status}{suffix}")


def _print_plan(plan: PlanSummary) -> None:
    render.findings(finding for finding in plan.findings if finding.level.name != "INFO")
    for line in plan.notes:
        render.note(line)
    symbols = {"Add": "[green]+[/]", "Modify": "[yellow]~[/]", "Remove": "[red]-[/]"}
    for stack in plan.stacks:
        verb = "Create" if stack.create else "Update"
        if stack.pending:
            render.err.print(
                f"{verb} {stack.stack}: {stack.resource_count} resource(s), "
                "its change set computed once the data stack is deployed"
            )
            continue
        if not stack.changes:
            render.ok(f"{stack.stack}: no changes")
            continue
        render.err.print(f"{verb} {stack.stack}: {len(stack.changes)} change(s)")
        for change in stack.changes:
            replacement = " [red](replacement)[/]" if change.replacement == "True" else ""
            render.err.print(
                f"  {symbols.get(change.action, change.action)} {change.resource_type:<40} "
                f"{change.logical_id}{replacement}"
            )


def _print_costs(lines: list[CostLine]) -> None:
    from batchctl.config.costs import PRICES_AS_OF, total

    rows = [(line.item, str(line.count), f"${line.monthly_usd:,.2f}") for line in lines]
    rows.append(("total", "", f"${total(lines):,.2f}"))
    render.table(
        f"Network fixed cost per month (us-east-1 list prices of {PRICES_AS_OF})", ["item", "count", "USD"], rows
    )


def _print_outputs(values: dict[str, str]) -> None:
    if values:
        order = [keys.QUEUE, keys.JOB_DEFINITION, keys.COMPUTE_ENVIRONMENT, keys.BUCKET, keys.LOG_GROUP]
        rank = {key: next((i for i, p in enumerate(order) if key.startswith(p)), len(order)) for key in values}
        render.table("Outputs", ["output", "value"], sorted(values.items(), key=lambda kv: (rank[kv[0]], kv[0])))


COMMANDS = [init, validate, synth, diff, deploy, status, destroy]

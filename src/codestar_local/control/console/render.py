"""HTML fragments of the console. Every value goes through esc()/fmt()."""

from __future__ import annotations

import datetime
import urllib.parse

import orjson

from .. import actions
from .html import Safe, fmt, join

# Notice code -> (style, text); text may use {name}, {status}, {account}.
NOTICES = {
    "handshake": ("ok", "Connection {name} is now {status}."),
    "connection-status": ("ok", "Connection {name} is now {status}."),
    "host-setup": ("ok", "Host {name} is set up and {status}."),
    "host-status": ("ok", "Host {name} is now {status}."),
    "reset": ("ok", "Every resource of account {account} was deleted."),
    "ResourceNotFound": ("error", "{name} does not exist any more."),
    "HostNotAvailable": ("error", "Connection {name} uses a host that is not set up yet. Set up the host first."),
    "InvalidState": ("error", "Host {name} is {status}: only a PENDING host can be set up."),
    "InvalidParameter": ("error", "The form was incomplete or had an unknown value."),
}

PROVIDERS = {
    "GitHub": ("GitHub", "GH", "GitHub App installation", ("octo-org", "my-github-user", "acme-platform")),
    "GitHubEnterpriseServer": ("GitHub Enterprise Server", "GE", "GitHub App installation", ("platform-team", "infra", "octo-enterprise")),
    "GitLab": ("GitLab", "GL", "GitLab group", ("acme-group", "my-gitlab-user", "tooling")),
    "GitLabSelfManaged": ("GitLab self-managed", "GS", "GitLab group", ("engineering", "ops", "sandbox")),
    "Bitbucket": ("Bitbucket", "BB", "Bitbucket workspace", ("acme-workspace", "my-bitbucket", "labs")),
    "AzureDevOps": ("Azure DevOps", "AZ", "Azure DevOps organization", ("contoso", "fabrikam", "my-azure-org")),
}


def provider_info(ptype: str) -> dict:
    label, initials, unit, accounts = PROVIDERS.get(ptype, (ptype, ptype[:2].upper(), "provider account", ("account-1", "account-2", "account-3")))
    return {"label": label, "initials": initials, "unit": unit, "unit_title": unit[:1].upper() + unit[1:], "accounts": accounts}


def when(epoch) -> str:
    if type(epoch) not in (int, float):
        return ""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def badge(status) -> Safe:
    tone = {
        "AVAILABLE": "ok", "SUCCEEDED": "ok", "RESOLVED": "ok", "CreateComplete": "ok",
        "PENDING": "wait", "INITIATED": "wait", "IN_PROGRESS": "wait", "QUEUED": "wait", "CreateInProgress": "wait",
        "ERROR": "bad", "FAILED": "bad", "VPC_CONFIG_FAILED_INITIALIZATION": "bad", "ACTIVE": "bad", "DeleteInProgress": "bad",
    }.get(status, "info")
    return fmt('<span class="badge badge-{tone}">{status}</span>', tone=tone, status=status or "—")


def tags(items) -> Safe:
    if not items:
        return Safe('<span class="muted">—</span>')
    return join(fmt('<span class="tag"><span class="tag-key">{k}</span>{v}</span>', k=t.get("Key"),
                    v=fmt('<span class="tag-value">{v}</span>', v=t["Value"]) if t.get("Value") else "") for t in items)


def arn_cell(arn) -> Safe:
    return fmt('<div class="sub"><code class="arn" title="{arn}">{arn}</code></div>', arn=arn)


def hidden(**values) -> Safe:
    return join(fmt('<input type="hidden" name="{k}" value="{v}">', k=k, v=v) for k, v in values.items())


def button_form(action: str, label: str, style: str, account: str, region: str, **fields) -> Safe:
    """A one-button POST form; `fields` include the page's `csrf` token, as in every POST form of the console."""
    return fmt(
        '<form method="post" action="{action}" class="inline">{fields}<button type="submit" class="btn {style}">{label}</button></form>',
        action=action, fields=hidden(account=account, region=region, **fields), style=style, label=label,
    )


def section(anchor: str, title: str, count, body, note="") -> Safe:
    return fmt(
        '<section class="card" id="{anchor}"><div class="card-head"><h2>{title} <span class="count">{count}</span></h2>'
        '<span class="muted small">{note}</span></div>{body}</section>',
        anchor=anchor, title=title, count=count, body=body, note=note,
    )


def empty(text: str) -> Safe:
    return fmt('<div class="empty">{text}</div>', text=text)


def table(headers, rows) -> Safe:
    head = join(fmt("<th>{h}</th>", h=h) for h in headers)
    return fmt('<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>',
               head=head, rows=join(rows))


# -- page parts ------------------------------------------------------------------
def scope_form(base: str, account: str, region: str, scopes) -> Safe:
    accounts = join(
        fmt('<option value="{a}"{sel}>{a} ({n})</option>', a=s["account"], n=s["count"],
            sel=Safe(" selected") if s["account"] == account else "")
        for s in scopes
    )
    regions = next((s["regions"] for s in scopes if s["account"] == account), [])
    names = sorted({r["region"] for r in regions} | {region, "us-east-1"})
    count = {r["region"]: r["count"] for r in regions}
    region_opts = join(
        fmt('<option value="{r}"{sel}>{r} ({n})</option>', r=r, n=count.get(r, 0), sel=Safe(" selected") if r == region else "")
        for r in names
    )
    return fmt(
        '<form class="scope" method="get" action="{base}" id="scope-form">'
        '<label>Account <select name="account" id="account-select">{accounts}</select></label>'
        '<label>Region <select name="region" id="region-select">{regions}</select></label>'
        '<button type="submit" class="btn btn-quiet">Switch</button></form>',
        base=base, accounts=accounts, regions=region_opts,
    )


def summary(model: dict) -> Safe:
    c = model["counts"]
    pending = c["connectionsByStatus"].get("PENDING", 0)
    cards = [
        ("Connections", c["connections"], f"{c['connectionsByStatus'].get('AVAILABLE', 0)} available · {pending} pending"),
        ("Hosts", c["hosts"], f"{c['hostsAvailable']} available"),
        ("Repository links", c["repositoryLinks"], ""),
        ("Sync configurations", c["syncConfigurations"], f"{c['activeBlockers']} active blockers"),
        ("CodeStar projects", c["projects"], " · ".join(
            f"{n} {word}" for word, n in (("complete", c["projectsByState"]["CreateComplete"]),
                                          ("creating", c["projectsByState"]["CreateInProgress"]),
                                          ("deleting", c["projectsByState"]["DeleteInProgress"])) if n) or "none"),
        ("User profiles", c["userProfiles"], "per account"),
    ]
    return fmt('<div class="stats">{cards}</div>', cards=join(
        fmt('<div class="stat"><div class="stat-label">{label}</div><div class="stat-value">{value}</div>'
            '<div class="stat-note">{note}</div></div>', label=label, value=value, note=note)
        for label, value, note in cards
    ))


def connections_section(base: str, model: dict) -> Safe:
    account, region = model["account"], model["region"]
    hosts = {h["arn"]: h["name"] for h in model["all_hosts"]}
    rows = []
    for c in model["connections"]:
        buttons = []
        if c["status"] != "AVAILABLE":
            link = f"{base}/handshake?" + urllib.parse.urlencode({"arn": c["arn"], "account": account, "region": region})
            buttons.append(fmt('<a class="btn btn-primary" href="{href}" data-action="handshake">Complete handshake</a>', href=link))
        if c["status"] != "ERROR":
            buttons.append(button_form(f"{base}/connections/status", "Set error", "btn-quiet", account, region, arn=c["arn"], status="ERROR",
                                       csrf=model["csrf"]))
        if c["status"] != "PENDING":
            buttons.append(button_form(f"{base}/connections/status", "Set pending", "btn-quiet", account, region, arn=c["arn"],
                                       status="PENDING", csrf=model["csrf"]))
        detail = []
        if c["host"]:
            detail.append(fmt('<div class="sub">host {h}</div>', h=hosts.get(c["host"], c["host"])))
        if c["installation"] and c["status"] == "AVAILABLE":
            detail.append(fmt('<div class="sub">via {i}</div>', i=c["installation"]))
        if c["pendingChange"]:
            detail.append(fmt('<div class="sub">auto: {s} at {t}</div>', s=c["pendingChange"][1], t=when(c["pendingChange"][2])))
        rows.append(fmt(
            '<tr data-arn="{arn}" data-status="{status}"><td class="primary"><div class="name">{name}</div>{arn_cell}{detail}</td>'
            '<td>{provider}<div class="sub">home {home} · {created}</div></td><td>{badge}</td>'
            '<td class="tags">{tags}</td><td class="actions">{buttons}</td></tr>',
            arn=c["arn"], status=c["status"], name=c["name"], detail=join(detail), provider=c["provider"], badge=badge(c["status"]),
            arn_cell=arn_cell(c["arn"]), home=c["region"], created=when(c["created"]), tags=tags(c["tags"]), buttons=join(buttons),
        ))
    body = table(["Connection", "Provider", "Status", "Tags", ""], rows) if rows else empty(
        "No connections in this account yet. Create one with CreateConnection; it starts PENDING until you complete the handshake here.")
    return section("connections", "Connections", len(rows), body, "global: every region of the account lists them")


def hosts_section(base: str, model: dict) -> Safe:
    account, region = model["account"], model["region"]
    rows = []
    for h in model["hosts"]:
        buttons = []
        if h["status"] == "PENDING":
            buttons.append(button_form(f"{base}/hosts/setup", "Set up host", "btn-primary", account, region, arn=h["arn"], csrf=model["csrf"]))
        options = join(fmt('<option value="{s}"{sel}>{s}</option>', s=s, sel=Safe(" selected") if s == h["status"] else "")
                       for s in actions.HOST_STATUSES)
        buttons.append(fmt(
            '<details class="more"><summary class="btn btn-quiet">Status…</summary>'
            '<form method="post" action="{action}" class="stack">{fields}'
            '<label>Status <select name="status">{options}</select></label>'
            '<label>Message <input name="message" maxlength="1024" placeholder="optional StatusMessage"></label>'
            '<button type="submit" class="btn btn-quiet">Apply</button></form></details>',
            action=f"{base}/hosts/status", fields=hidden(account=account, region=region, arn=h["arn"], csrf=model["csrf"]), options=options,
        ))
        vpc = h["vpc"] or {}
        detail = fmt('<div class="sub">VPC {v}</div>', v=vpc.get("VpcId")) if vpc else Safe("")
        message = fmt('<div class="sub">{m}</div>', m=h["message"]) if h["message"] else Safe("")
        rows.append(fmt(
            '<tr data-arn="{arn}" data-status="{status}"><td class="primary"><div class="name">{name}</div>{arn_cell}{detail}</td>'
            '<td>{provider}<div class="sub">{endpoint}</div><div class="sub">created {created}</div></td><td>{badge}{message}</td>'
            '<td class="tags">{tags}</td><td class="actions">{buttons}</td></tr>',
            arn=h["arn"], status=h["status"], name=h["name"], detail=detail, provider=h["provider"], endpoint=h["endpoint"],
            badge=badge(h["status"]), message=message, arn_cell=arn_cell(h["arn"]), created=when(h["created"]),
            tags=tags(h["tags"]), buttons=join(buttons),
        ))
    body = table(["Host", "Provider", "Status", "Tags", ""], rows) if rows else empty(
        f"No hosts in {region}. Hosts (GitHub Enterprise Server, GitLab self-managed) start PENDING until set up here.")
    return section("hosts", "Hosts", len(rows), body, f"regional: {region}")


def _data_details(data: dict) -> Safe:
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return fmt('<details class="raw"><summary>All fields</summary><pre>{text}</pre></details>', text=text)


def links_section(model: dict) -> Safe:
    from ...gitremote import name_url, url

    names = {c["arn"]: c["name"] for c in model["connections"]}
    endpoint = model.get("gitEndpoint", "http://127.0.0.1:4599")
    rows = []
    for link in model["repositoryLinks"]:
        d = link["data"]
        conn = d.get("ConnectionArn")
        remote = url(endpoint, d.get("RepositoryLinkId", ""))
        by_name = name_url(endpoint, link["id"].split(":")[4] if link["id"].count(":") >= 5 else "", d.get("OwnerId", ""), d.get("RepositoryName", ""))
        rows.append(fmt(
            '<tr data-arn="{id}" data-git-remote="{remote}"><td class="primary"><div class="name">{owner}/{repo}</div>{arn_cell}<div class="sub">id {link_id}</div>'
            '<div class="sub git-remote">Git remote <code class="mono git-url">{remote}</code> · or <code class="mono">{by_name}</code></div></td>'
            '<td>{provider}</td><td>{conn}</td><td>{last}</td><td class="tags">{tags}</td><td>{raw}</td></tr>',
            id=link["id"], remote=remote, by_name=by_name,
            last=last_sync(link.get("lastSync")), owner=d.get("OwnerId", "?"), repo=d.get("RepositoryName", "?"), link_id=d.get("RepositoryLinkId", ""),
            provider=d.get("ProviderType", ""), conn=names.get(conn, conn or "—"), arn_cell=arn_cell(d.get("RepositoryLinkArn", link["id"])),
            raw=_data_details(d), tags=tags(d.get("Tags", [])),
        ))
    body = table(["Repository", "Provider", "Connection", "Last sync", "Tags", ""], rows) if rows else empty(
        "No repository links in this region. CreateRepositoryLink ties a connection to one repository for Git sync.")
    return section("repository-links", "Repository links", len(rows), body)


def last_sync(sync) -> Safe:
    if not sync:
        return Safe('<span class="muted">never</span>')
    commit = (sync.get("commit") or "")[:7]
    return join([badge(sync.get("status") or "QUEUED"),
                 fmt('<div class="sub">{t}{c}</div>', t=when(sync.get("startedAt")), c=f" · {commit}" if commit else "")])


def sync_section(model: dict) -> Safe:
    blockers = model["syncBlockers"]
    rows = []
    for cfg in model["syncConfigurations"]:
        d = cfg["data"]
        mine = [b for b in blockers if b["parent"] == cfg["id"] or (
            b["data"].get("ResourceName") == d.get("ResourceName") and b["data"].get("SyncType", d.get("SyncType")) == d.get("SyncType"))]
        active = [b for b in mine if b["data"].get("Status", "ACTIVE") == "ACTIVE"]
        blocker_cell = join(
            fmt('<div class="blocker">{badge} <span class="mono">{id}</span><div class="sub">{reason}</div></div>',
                badge=badge(b["data"].get("Status")), id=b["data"].get("Id", b["id"]),
                reason=b["data"].get("ResolvedReason") or b["data"].get("CreatedReason", ""))
            for b in mine
        ) if mine else Safe('<span class="muted">none</span>')
        rows.append(fmt(
            '<tr data-id="{id}" data-active-blockers="{n}"><td><div class="name">{resource}</div><div class="sub">{sync_type}</div></td>'
            '<td>{owner}/{repo}<div class="sub">branch {branch} · {config}</div></td><td>{last}</td><td>{blockers}</td><td>{raw}</td></tr>',
            id=cfg["id"], n=len(active), resource=d.get("ResourceName", cfg["id"]), sync_type=d.get("SyncType", ""),
            owner=d.get("OwnerId", "?"), repo=d.get("RepositoryName", "?"), branch=d.get("Branch", "?"), config=d.get("ConfigFile", ""),
            last=last_sync(cfg.get("lastSync")), blockers=blocker_cell, raw=_data_details(d),
        ))
    body = table(["Resource", "Repository", "Last sync", "Blockers", ""], rows) if rows else empty(
        "No sync configurations in this region. CreateSyncConfiguration keeps a CloudFormation stack in sync with a branch.")
    return section("sync", "Sync configurations", len(rows), body)


def team(members) -> Safe:
    if not members:
        return Safe('<span class="muted">none</span>')
    return join(
        fmt('<div class="member" data-user-arn="{arn}"><span class="member-name">{name}</span> '
            '<span class="badge badge-info">{role}</span> {remote}<code class="arn sub" title="{arn}">{arn}</code></div>',
            arn=m["userArn"], name=(m["userArn"] or "").rsplit("/", 1)[-1], role=m["projectRole"],
            remote=Safe('<span class="remote remote-yes">remote access</span>') if m["remoteAccessAllowed"]
            else Safe('<span class="remote">no remote access</span>'))
        for m in members
    )


def projects_section(model: dict) -> Safe:
    region = model["region"]
    rows = []
    for p in model["projects"]:
        description = fmt('<div class="sub description">{d}</div>', d=p["description"]) if p["description"] else Safe("")
        rows.append(fmt(
            '<tr data-arn="{arn}" data-project-id="{id}" data-status="{state}"><td class="primary"><div class="name">{name}</div>'
            '<div class="sub">id <span class="mono project-id">{id}</span></div>{arn_cell}{description}</td>'
            '<td>{badge}<div class="sub">created {created}</div></td><td class="team">{team}</td><td class="tags">{tags}</td></tr>',
            arn=p["arn"], id=p["id"], state=p["state"], name=p["name"], arn_cell=arn_cell(p["arn"]), description=description,
            badge=badge(p["state"]), created=when(p["created"]), team=team(p["teamMembers"]),
            tags=tags([{"Key": k, "Value": v} for k, v in p["tags"].items()]),
        ))
    body = table(["Project", "State", "Team members", "Tags"], rows) if rows else empty(
        f"No CodeStar projects in {region}. CreateProject (service codestar) makes one: CreateInProgress for a moment, then CreateComplete.")
    return section("codestar-projects", "CodeStar projects", len(rows), body, f"regional: {region}")


def profiles_section(model: dict) -> Safe:
    rows = [
        fmt('<tr data-arn="{arn}"><td class="primary"><div class="name">{name}</div>{arn_cell}</td><td>{email}{ssh}</td>'
            '<td class="mono">{created}</td><td class="mono">{modified}</td></tr>',
            arn=u["userArn"], name=u["displayName"], arn_cell=arn_cell(u["userArn"]), email=u["emailAddress"],
            ssh=Safe('<div class="sub">SSH public key set</div>') if u["sshPublicKey"] else "",
            created=when(u["created"]), modified=when(u["modified"]))
        for u in model["userProfiles"]
    ]
    body = table(["User", "Email", "Created", "Last modified"], rows) if rows else empty(
        "No CodeStar user profiles in this account. CreateUserProfile (service codestar) makes one.")
    return section("user-profiles", "User profiles", len(rows), body, "CodeStar, per account: every region lists them")


def requests_section(model: dict, limit: int) -> Safe:
    rows = []
    for r in model["requests"]:
        status = r["status"]
        tone = "ok" if status < 400 else "wait" if status < 500 else "bad"
        mine = " class=\"mine\"" if r["account"] == model["account"] else ""
        rows.append(fmt(
            "<tr{mine}><td class=\"mono\">{time}</td><td>{service}</td><td>{op}</td><td class=\"mono\">{account}</td>"
            '<td><span class="badge badge-{tone}">{status}</span></td><td class="num">{latency}</td></tr>',
            mine=Safe(mine), time=r["time"][11:23], service=r["service"] or "—", op=r["operation"] or "—", account=r["account"] or "—",
            tone=tone, status=status, latency=f"{r['latency_ms']:.1f} ms",
        ))
    body = table(["Time (UTC)", "Service", "Operation", "Account", "Status", "Latency"], rows) if rows else empty(
        "No API calls yet. Point an SDK at this server and they appear here.")
    return section("requests", "Recent API calls", len(rows), body, f"last {limit}, all accounts; this server process only")


def handshake_form(base: str, conn: dict, host, choices, info: dict, account: str, region: str, csrf: str) -> Safe:
    back = f"{base}?" + urllib.parse.urlencode({"account": account, "region": region}) + "#connections"
    if conn["status"] == "AVAILABLE":
        return fmt('<div class="notice notice-ok">This connection is already AVAILABLE.</div><a class="btn" href="{back}">Back</a>', back=back)
    if host is not None and host["status"] != "AVAILABLE":
        return fmt(
            '<div class="notice notice-warn">This connection uses host <strong>{name}</strong> ({endpoint}), which is {status}. '
            "Set up the host before you update the connection.</div>"
            '<div class="row">{setup}<a class="btn btn-quiet" href="{back}">Cancel</a></div>',
            name=host["name"], endpoint=host["endpoint"], status=host["status"], back=back,
            setup=button_form(f"{base}/hosts/setup", "Set up host", "btn-primary", account, region, arn=host["arn"], csrf=csrf)
            if host["status"] == "PENDING" else Safe(""),
        )
    options = [
        fmt('<label class="choice"><input type="radio" name="installation" value="{value}"{checked}>'
            '<span class="avatar" aria-hidden="true">{initial}</span><span><span class="choice-name">{name}</span>'
            '<span class="sub">{detail}</span></span></label>',
            value=value, checked=Safe(" checked") if n == 0 else "", initial=name[:1].upper(), name=name, detail=detail)
        for n, (value, name, detail) in enumerate(choices)
    ]
    options.append(fmt('<label class="choice"><input type="radio" name="installation" value="new">'
                       '<span class="avatar avatar-new" aria-hidden="true">+</span><span><span class="choice-name">Install a new app</span>'
                       '<span class="sub">Creates a new {unit}</span></span></label>', unit=info["unit"]))
    return fmt(
        '<form method="post" action="{action}" class="handshake" id="handshake-form">{fields}'
        '<fieldset><legend>{unit_title}</legend>{options}</fieldset>'
        '<div class="row"><button type="submit" class="btn btn-primary" id="connect-button">Connect</button>'
        '<a class="btn btn-quiet" href="{back}">Cancel</a></div></form>',
        action=f"{base}/connections/handshake", fields=hidden(account=account, region=region, arn=conn["arn"], csrf=csrf),
        unit_title=info["unit_title"], options=join(options), back=back,
    )


def session_bar(base: str, csrf: str) -> Safe:
    """The top bar's sign-out button (with an admin token, signed in)."""
    return fmt('<form method="post" action="{base}/logout" class="inline session" id="logout-form">{fields}'
               '<button type="submit" class="btn btn-quiet" id="logout-button">Sign out</button></form>',
               base=base, fields=hidden(csrf=csrf))

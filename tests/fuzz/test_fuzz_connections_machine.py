"""A state machine over connections, hosts, tags, repository links and sync configurations (issue 10).

Hypothesis drives create / tag / untag / update / delete sequences through boto3 on both endpoints
(codestar-connections and codeconnections share one store), in three accounts and two regions, and probes
resources from the wrong account or region. The machine keeps a model of what must exist; after every step the
invariant reads everything back: each List (all pages, page sizes 1 to 100) holds exactly the model's items of
that account (and region), in creation order, so counts match and nothing of one account shows in another; every
listed item can be read with its Get and reads as modelled; every resource's tags read back as the model's set.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from shapes import Shapes
from stateful import REGIONS, Clients, all_pages, expect_error, machine_settings

from codestar_local import spec

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
ENDPOINTS = ("codestar-connections", "codeconnections")
CLOUD = ("Bitbucket", "GitHub", "GitLab")
HOSTED = ("GitHubEnterpriseServer", "GitLabSelfManaged")
PROVIDER_URLS = ("https://git.example.com", "https://gitlab.example.com", "https://ghe.example.org")
OWNERS = ("octo", "acme")
REPOSITORIES = ("infra", "app")
STACKS = ("stackA", "stackB", "stack-c", "d_1")
BRANCHES = ("main", "dev")
STACK_SYNC = "CFN_STACK_SYNC"
TAG_QUOTA = 50

SHAPES = Shapes(spec.services()["codeconnections"])
NAMES = SHAPES.valid("ConnectionName")
HOST_NAMES = SHAPES.valid("HostName")
TAG_KEYS = st.one_of(st.sampled_from([f"k{i}" for i in range(60)]), SHAPES.valid("TagKey"))
TAGS = st.dictionaries(TAG_KEYS, SHAPES.valid("TagValue"), max_size=3)
MANY_TAGS = st.dictionaries(st.sampled_from([f"k{i}" for i in range(60)]), st.just("v"), min_size=20, max_size=30)
VPC = SHAPES.valid("VpcConfiguration")


def tag_list(tags: dict) -> list:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def arn_service(arn: str) -> str:
    return arn.split(":")[2]


class ConnectionsMachine(RuleBasedStateMachine):
    def __init__(self, clients: Clients):
        super().__init__()
        self.clients = clients
        clients.runs += 1
        for account in ACCOUNTS:
            clients.reset(account)
        self.conns: dict = {}  # arn -> {account, region, name, provider, host, tags}
        self.gone_conns: dict = {}  # deleted connections: arn -> account (links may still name them)
        self.hosts: dict = {}  # arn -> {account, region, name, provider, url, vpc, tags}
        self.links: dict = {}  # id -> {account, region, arn, conn, owner, repo, provider, kms, tags}
        self.configs: dict = {}  # (account, region, resource) -> {link, branch, file, settings}
        self.steps = 0

    def client(self, service, account, region=REGIONS[0]):
        return self.clients(service, account, region)

    # -- connections -----------------------------------------------------------
    @rule(account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS), service=st.sampled_from(ENDPOINTS),
          name=NAMES, provider=st.sampled_from(CLOUD + ("AzureDevOps",)), tags=TAGS)
    def create_connection(self, account, region, service, name, provider, tags):
        if provider == "AzureDevOps":
            service = "codeconnections"  # the codestar-connections model has no AzureDevOps
        out = self.client(service, account, region).create_connection(ConnectionName=name, ProviderType=provider,
                                                                      **({"Tags": tag_list(tags)} if tags else {}))
        arn = out["ConnectionArn"]
        assert arn.startswith(f"arn:aws:{service}:{region}:{account}:connection/"), arn
        assert out.get("Tags", []) == tag_list(tags)
        self.conns[arn] = {"account": account, "region": region, "name": name, "provider": provider, "host": None, "tags": dict(tags)}

    @precondition(lambda self: self.hosts)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), name=NAMES)
    def create_connection_on_host(self, data, service, name):
        host = data.draw(st.sampled_from(list(self.hosts)), label="host")
        h = self.hosts[host]
        client = self.client(service, h["account"], h["region"])
        if service == "codestar-connections" and arn_service(host) == "codeconnections":
            # The codestar-connections model's HostArn pattern names its own prefix only.
            expect_error(service, "ValidationException", client.create_connection, ConnectionName=name, HostArn=host)
            return
        arn = client.create_connection(ConnectionName=name, HostArn=host)["ConnectionArn"]
        self.conns[arn] = {"account": h["account"], "region": h["region"], "name": name, "provider": h["provider"], "host": host, "tags": {}}

    @precondition(lambda self: self.conns)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), region=st.sampled_from(REGIONS))
    def delete_connection(self, data, service, region):
        arn = data.draw(st.sampled_from(list(self.conns)), label="connection")
        c = self.conns.pop(arn)
        # Connections are global: any region of the account deletes them.
        self.client(service, c["account"], region).delete_connection(ConnectionArn=arn)
        self.gone_conns[arn] = c["account"]

    # -- hosts -----------------------------------------------------------------
    @rule(account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS), service=st.sampled_from(ENDPOINTS),
          name=HOST_NAMES, provider=st.sampled_from(HOSTED), url=st.sampled_from(PROVIDER_URLS),
          vpc=st.none() | VPC, tags=TAGS)
    def create_host(self, account, region, service, name, provider, url, vpc, tags):
        extra = ({"Tags": tag_list(tags)} if tags else {}) | ({"VpcConfiguration": vpc} if vpc else {})
        out = self.client(service, account, region).create_host(Name=name, ProviderType=provider, ProviderEndpoint=url, **extra)
        arn = out["HostArn"]
        assert arn.startswith(f"arn:aws:{service}:{region}:{account}:host/"), arn
        self.hosts[arn] = {"account": account, "region": region, "name": name, "provider": provider, "url": url, "vpc": vpc,
                           "tags": dict(tags)}

    def host_client(self, host: str, service: str):
        h = self.hosts[host]
        if arn_service(host) == "codeconnections":
            service = "codeconnections"
        return service, self.client(service, h["account"], h["region"])

    @precondition(lambda self: self.hosts)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), url=st.sampled_from(PROVIDER_URLS), vpc=st.none() | VPC)
    def update_host(self, data, service, url, vpc):
        host = data.draw(st.sampled_from(list(self.hosts)), label="host")
        h = self.hosts[host]
        service, client = self.host_client(host, service)
        params = {"HostArn": host, "ProviderEndpoint": url, **({"VpcConfiguration": vpc} if vpc else {})}
        taken = url != h["url"] and any(o["url"] == url for a, o in self.hosts.items()
                                        if a != host and o["account"] == h["account"] and o["region"] == h["region"])
        if taken:
            expect_error(service, "ConflictException", client.update_host, **params)
            return
        client.update_host(**params)
        h["url"] = url
        if vpc:
            h["vpc"] = vpc

    @precondition(lambda self: self.hosts)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS))
    def delete_host(self, data, service):
        host = data.draw(st.sampled_from(list(self.hosts)), label="host")
        service, client = self.host_client(host, service)
        if any(c["host"] == host for c in self.conns.values()):
            expect_error(service, "ResourceUnavailableException", client.delete_host, HostArn=host)
            return
        client.delete_host(HostArn=host)
        del self.hosts[host]

    # -- tags ------------------------------------------------------------------
    def taggable(self) -> dict:
        """arn -> (model entry, account, region a client must use: None = any)."""
        found = {arn: (c, c["account"], None) for arn, c in self.conns.items()}
        found |= {arn: (h, h["account"], h["region"]) for arn, h in self.hosts.items()}
        found |= {link["arn"]: (link, link["account"], link["region"]) for link in self.links.values()}
        return found

    @precondition(lambda self: self.conns or self.hosts or self.links)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), region=st.sampled_from(REGIONS), tags=TAGS | MANY_TAGS)
    def tag_resource(self, data, service, region, tags):
        taggable = self.taggable()
        arn = data.draw(st.sampled_from(list(taggable)), label="resource")
        entry, account, home = taggable[arn]
        client = self.client(service, account, home or region)
        if len(set(entry["tags"]) | set(tags)) > TAG_QUOTA:
            expect_error(service, "LimitExceededException", client.tag_resource, ResourceArn=arn, Tags=tag_list(tags))
            return
        client.tag_resource(ResourceArn=arn, Tags=tag_list(tags))
        entry["tags"].update(tags)

    @precondition(lambda self: self.conns or self.hosts or self.links)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), region=st.sampled_from(REGIONS), absent=st.lists(TAG_KEYS, max_size=2))
    def untag_resource(self, data, service, region, absent):
        taggable = self.taggable()
        arn = data.draw(st.sampled_from(list(taggable)), label="resource")
        entry, account, home = taggable[arn]
        keys = data.draw(st.lists(st.sampled_from(sorted(entry["tags"])), unique=True), label="keys") if entry["tags"] else []
        self.client(service, account, home or region).untag_resource(ResourceArn=arn, TagKeys=keys + absent)
        for k in keys + absent:
            entry["tags"].pop(k, None)

    # -- repository links ------------------------------------------------------
    @precondition(lambda self: self.conns or self.gone_conns)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), region=st.sampled_from(REGIONS),
          owner=st.sampled_from(OWNERS) | SHAPES.valid("OwnerId"), repo=st.sampled_from(REPOSITORIES),
          kms=st.none() | st.just("arn:aws:kms:us-east-1:111111111111:key/0123-abcd"), tags=TAGS)
    def create_repository_link(self, data, service, region, owner, repo, kms, tags):
        conn = data.draw(st.sampled_from(list(self.conns) + list(self.gone_conns)), label="connection")
        account = self.conns[conn]["account"] if conn in self.conns else self.gone_conns[conn]
        client = self.client(service, account, region)
        params = {"ConnectionArn": conn, "OwnerId": owner, "RepositoryName": repo, **({"EncryptionKeyArn": kms} if kms else {}),
                  **({"Tags": tag_list(tags)} if tags else {})}
        if conn not in self.conns or self.conns[conn]["provider"] == "AzureDevOps":
            expect_error(service, "InvalidInputException", client.create_repository_link, **params)
            return
        if any(link["conn"] == conn and link["owner"] == owner and link["repo"] == repo and link["region"] == region
               for link in self.links.values()):
            expect_error(service, "ResourceAlreadyExistsException", client.create_repository_link, **params)
            return
        info = client.create_repository_link(**params)["RepositoryLinkInfo"]
        assert info["RepositoryLinkArn"].startswith(f"arn:aws:{service}:{region}:{account}:repository-link/"), info
        assert info["ConnectionArn"] == conn and info["ProviderType"] == self.conns[conn]["provider"], info
        self.links[info["RepositoryLinkId"]] = {"account": account, "region": region, "arn": info["RepositoryLinkArn"], "conn": conn,
                                                "owner": owner, "repo": repo, "provider": self.conns[conn]["provider"], "kms": kms,
                                                "tags": dict(tags)}

    @precondition(lambda self: self.links and (self.conns or self.gone_conns))
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS))
    def update_repository_link(self, data, service):
        link_id = data.draw(st.sampled_from(list(self.links)), label="link")
        link = self.links[link_id]
        conn = data.draw(st.sampled_from([c for c, m in self.conns.items() if m["account"] == link["account"]]
                                         + [c for c, a in self.gone_conns.items() if a == link["account"]] or [link["conn"]]),
                         label="connection")
        client = self.client(service, link["account"], link["region"])
        if conn != link["conn"]:
            if conn not in self.conns:
                expect_error(service, "ResourceNotFoundException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=conn)
                return
            if self.conns[conn]["provider"] != link["provider"]:
                expect_error(service, "InvalidInputException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=conn)
                return
            if any(o["conn"] == conn and o["owner"] == link["owner"] and o["repo"] == link["repo"] and o["region"] == link["region"]
                   for o in self.links.values()):
                expect_error(service, "ConditionalCheckFailedException", client.update_repository_link,
                             RepositoryLinkId=link_id, ConnectionArn=conn)
                return
        info = client.update_repository_link(RepositoryLinkId=link_id, ConnectionArn=conn)["RepositoryLinkInfo"]
        assert info["ConnectionArn"] == conn, info
        link["conn"] = conn

    @precondition(lambda self: self.links)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS))
    def delete_repository_link(self, data, service):
        link_id = data.draw(st.sampled_from(list(self.links)), label="link")
        link = self.links[link_id]
        client = self.client(service, link["account"], link["region"])
        if any(c["link"] == link_id for c in self.configs.values()):
            expect_error(service, "SyncConfigurationStillExistsException", client.delete_repository_link, RepositoryLinkId=link_id)
            return
        client.delete_repository_link(RepositoryLinkId=link_id)
        del self.links[link_id]

    # -- sync configurations ---------------------------------------------------
    @precondition(lambda self: self.links)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), resource=st.sampled_from(STACKS), branch=st.sampled_from(BRANCHES),
          publish=st.none() | st.sampled_from(["ENABLED", "DISABLED"]), trigger=st.none() | st.sampled_from(["ANY_CHANGE", "FILE_CHANGE"]))
    def create_sync_configuration(self, data, service, resource, branch, publish, trigger):
        link_id = data.draw(st.sampled_from(list(self.links)), label="link")
        link = self.links[link_id]
        client = self.client(service, link["account"], link["region"])
        options = {k: v for k, v in (("PublishDeploymentStatus", publish), ("TriggerResourceUpdateOn", trigger)) if v}
        params = {"Branch": branch, "ConfigFile": f"deploy/{resource}.yaml", "RepositoryLinkId": link_id, "ResourceName": resource,
                  "RoleArn": f"arn:aws:iam::{link['account']}:role/sync", "SyncType": STACK_SYNC, **options}
        key = (link["account"], link["region"], resource)
        if key in self.configs:
            expect_error(service, "ResourceAlreadyExistsException", client.create_sync_configuration, **params)
            return
        out = client.create_sync_configuration(**params)["SyncConfiguration"]
        assert out["RepositoryLinkId"] == link_id and out["ResourceName"] == resource, out
        self.configs[key] = {"link": link_id, "branch": branch, "file": params["ConfigFile"], "options": options}

    @precondition(lambda self: self.configs)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS), branch=st.none() | st.sampled_from(BRANCHES), move=st.booleans())
    def update_sync_configuration(self, data, service, branch, move):
        key = data.draw(st.sampled_from(list(self.configs)), label="configuration")
        account, region, resource = key
        config = self.configs[key]
        params = {"ResourceName": resource, "SyncType": STACK_SYNC, **({"Branch": branch} if branch else {})}
        if move:
            params["RepositoryLinkId"] = data.draw(st.sampled_from(
                [i for i, link in self.links.items() if link["account"] == account and link["region"] == region]), label="link")
        out = self.client(service, account, region).update_sync_configuration(**params)["SyncConfiguration"]
        config["branch"] = branch or config["branch"]
        config["link"] = params.get("RepositoryLinkId", config["link"])
        assert out["Branch"] == config["branch"] and out["RepositoryLinkId"] == config["link"], out

    @precondition(lambda self: self.configs)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS))
    def delete_sync_configuration(self, data, service):
        key = data.draw(st.sampled_from(list(self.configs)), label="configuration")
        account, region, resource = key
        self.client(service, account, region).delete_sync_configuration(ResourceName=resource, SyncType=STACK_SYNC)
        del self.configs[key]

    # -- from the wrong account or region ----------------------------------------
    @precondition(lambda self: self.conns or self.hosts or self.links or self.configs)
    @rule(data=st.data(), service=st.sampled_from(ENDPOINTS))
    def probe_from_elsewhere(self, data, service):
        """Another account (or, for regional resources, another region) neither reads, tags nor deletes a resource."""
        kinds = [k for k, items in (("conn", self.conns), ("host", self.hosts), ("link", self.links), ("config", self.configs)) if items]
        kind = data.draw(st.sampled_from(kinds), label="kind")
        items = {"conn": self.conns, "host": self.hosts, "link": self.links, "config": self.configs}[kind]
        ident = data.draw(st.sampled_from(list(items)), label="resource")
        entry = items[ident]
        home_account = ident[0] if kind == "config" else entry["account"]
        home_region = ident[1] if kind == "config" else entry["region"]
        other = data.draw(st.sampled_from([a for a in ACCOUNTS if a != home_account]), label="account")
        where = [(other, r) for r in REGIONS] + ([(home_account, r) for r in REGIONS if r != home_region] if kind != "conn" else [])
        account, region = data.draw(st.sampled_from(where), label="from")
        if kind == "host" and arn_service(ident) == "codeconnections":
            service = "codeconnections"
        client = self.client(service, account, region)
        missing = "ResourceNotFoundException"
        if kind == "conn":
            call = data.draw(st.sampled_from(["get", "tag", "delete"]), label="call")
            fn, params = {"get": (client.get_connection, {"ConnectionArn": ident}),
                          "tag": (client.tag_resource, {"ResourceArn": ident, "Tags": [{"Key": "x", "Value": "y"}]}),
                          "delete": (client.delete_connection, {"ConnectionArn": ident})}[call]
            expect_error(service, missing, fn, **params)
            link_params = {"ConnectionArn": ident, "OwnerId": "octo", "RepositoryName": "probe"}
            expect_error(service, "InvalidInputException", client.create_repository_link, **link_params)
        elif kind == "host":
            call = data.draw(st.sampled_from(["get", "delete", "tags"]), label="call")
            fn = {"get": client.get_host, "delete": client.delete_host, "tags": client.list_tags_for_resource}[call]
            expect_error(service, missing, fn, **({"ResourceArn": ident} if call == "tags" else {"HostArn": ident}))
        elif kind == "link":
            expect_error(service, missing, client.get_repository_link, RepositoryLinkId=ident)
            expect_error(service, missing, client.untag_resource, ResourceArn=entry["arn"], TagKeys=["k0"])
        else:
            expect_error(service, missing, client.get_sync_configuration, ResourceName=ident[2], SyncType=STACK_SYNC)

    # -- what must hold after every step -----------------------------------------
    @invariant()
    def everything_reads_back(self):
        self.steps += 1
        self.clients.steps += 1
        service = ENDPOINTS[self.steps % 2]
        size = (1, 2, 3, None)[self.steps % 4]
        for account in ACCOUNTS:
            region = REGIONS[self.steps % 2]  # connections are global: any region lists all of the account's
            client = self.client(service, account, region)
            listed = all_pages(client.list_connections, "Connections", "NextToken", "MaxResults", size)
            expected = [arn for arn, c in self.conns.items() if c["account"] == account]
            assert [c["ConnectionArn"] for c in listed] == expected, (account, listed, expected)
            for item in listed:
                c = self.conns[item["ConnectionArn"]]
                got = client.get_connection(ConnectionArn=item["ConnectionArn"])["Connection"]
                want = {"ConnectionName": c["name"], "ConnectionArn": item["ConnectionArn"], "ProviderType": c["provider"],
                        "OwnerAccountId": account, "ConnectionStatus": "PENDING", **({"HostArn": c["host"]} if c["host"] else {})}
                assert got == want == item, (got, want, item)
            for region in REGIONS:
                self.check_region(account, region, service, size)
        for arn, (entry, account, home) in self.taggable().items():
            client = self.client(service, account, home or REGIONS[self.steps % 2])
            tags = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
            assert len(tags) == len(entry["tags"]) and {t["Key"]: t["Value"] for t in tags} == entry["tags"], (arn, tags, entry["tags"])

    def check_region(self, account: str, region: str, service: str, size):
        cc = self.client("codeconnections", account, region)  # its HostArn pattern takes both prefixes
        client = self.client(service, account, region)
        hosts = all_pages(client.list_hosts, "Hosts", "NextToken", "MaxResults", size)
        expected = [arn for arn, h in self.hosts.items() if h["account"] == account and h["region"] == region]
        assert [h["HostArn"] for h in hosts] == expected, (account, region, hosts, expected)
        for item in hosts:
            h = self.hosts[item["HostArn"]]
            got = cc.get_host(HostArn=item["HostArn"])
            want = {"Name": h["name"], "Status": "PENDING", "ProviderType": h["provider"], "ProviderEndpoint": h["url"],
                    **({"VpcConfiguration": h["vpc"]} if h["vpc"] else {})}
            assert {k: got[k] for k in want} == want and set(got) - {"ResponseMetadata"} == set(want), (got, want)
            assert {k: item[k] for k in want} == want, (item, want)
        links = all_pages(client.list_repository_links, "RepositoryLinks", "NextToken", "MaxResults", size)
        expected = [i for i, link in self.links.items() if link["account"] == account and link["region"] == region]
        assert [link["RepositoryLinkId"] for link in links] == expected, (account, region, links, expected)
        for item in links:
            link = self.links[item["RepositoryLinkId"]]
            got = client.get_repository_link(RepositoryLinkId=item["RepositoryLinkId"])["RepositoryLinkInfo"]
            want = {"ConnectionArn": link["conn"], "OwnerId": link["owner"], "ProviderType": link["provider"], "RepositoryLinkArn": link["arn"],
                    "RepositoryLinkId": item["RepositoryLinkId"], "RepositoryName": link["repo"], **({"EncryptionKeyArn": link["kms"]} if link["kms"] else {})}
            assert got == want == item, (got, want, item)
            configs = all_pages(client.list_sync_configurations, "SyncConfigurations", "NextToken", "MaxResults", size,
                                RepositoryLinkId=item["RepositoryLinkId"], SyncType=STACK_SYNC)
            expected = sorted(k[2] for k, c in self.configs.items() if k[:2] == (account, region) and c["link"] == item["RepositoryLinkId"])
            assert sorted(c["ResourceName"] for c in configs) == expected, (configs, expected)
            for listed in configs:
                c = self.configs[(account, region, listed["ResourceName"])]
                got = client.get_sync_configuration(ResourceName=listed["ResourceName"], SyncType=STACK_SYNC)["SyncConfiguration"]
                want = {"Branch": c["branch"], "ConfigFile": c["file"], "OwnerId": link["owner"], "ProviderType": link["provider"],
                        "RepositoryLinkId": c["link"], "RepositoryName": link["repo"], "ResourceName": listed["ResourceName"],
                        "RoleArn": f"arn:aws:iam::{account}:role/sync", "SyncType": STACK_SYNC, **c["options"]}
                assert got == want == listed, (got, want, listed)


def test_connections_state_machine(fuzz_server):
    clients = Clients(fuzz_server)
    run_state_machine_as_test(lambda: ConnectionsMachine(clients), settings=machine_settings())
    print(f"ConnectionsMachine: {clients.runs} runs, {clients.steps} steps")  # shown with -s or -rP

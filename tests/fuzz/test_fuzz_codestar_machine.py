"""A state machine over CodeStar projects, team members, user profiles and project tags (issue 10).

Hypothesis drives create / tag / untag / update / delete sequences through boto3 in three accounts (each caller is
the IAM user named after its access key, the Owner of the projects it creates) and two regions, and probes
projects from the wrong account or region. The server runs with --project-seconds 0, so a project is complete at
once and gone at once after DeleteProject, and the model is exact. After every step the invariant reads
everything back: ListProjects per account and region and ListUserProfiles per account (all pages, page sizes 1 to
100) hold exactly the model's items in creation order; every listed project can be described, with its team
members (ListTeamMembers, all pages) and tags (ListTagsForProject) as modelled; every listed profile can be
described.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from shapes import Shapes
from stateful import REGIONS, Clients, all_pages, expect_error, machine_settings

from codestar_local import spec

ACCOUNTS = ("444444444444", "555555555555", "666666666666")
PROJECT_IDS = ("alpha", "beta", "gamma-1", "d2")
ROLES = ("Owner", "Contributor", "Viewer")
USER_PROJECT_QUOTA = 10
TAG_QUOTA = 50
SERVICE = "codestar"

SHAPES = Shapes(spec.services()[SERVICE])
PROJECT_NAMES = SHAPES.valid("ProjectName")
DESCRIPTIONS = SHAPES.valid("ProjectDescription")
TAGS = st.dictionaries(st.one_of(st.sampled_from([f"k{i}" for i in range(60)]), SHAPES.valid("TagKey")), SHAPES.valid("TagValue"),
                       max_size=3)
MANY_TAGS = st.dictionaries(st.sampled_from([f"k{i}" for i in range(60)]), st.just("v"), min_size=20, max_size=30)
DISPLAY_NAMES = SHAPES.valid("UserProfileDisplayName")
EMAILS = SHAPES.valid("Email")


def creator(account: str) -> str:
    """The caller: the access key id is the account, and the IAM user is named after it."""
    return f"arn:aws:iam::{account}:user/{account}"


def users(account: str) -> list:
    return [creator(account)] + [f"arn:aws:iam::{account}:user/member-{n}" for n in range(3)]


class CodeStarMachine(RuleBasedStateMachine):
    def __init__(self, clients: Clients):
        super().__init__()
        self.clients = clients
        clients.runs += 1
        for account in ACCOUNTS:
            clients.reset(account)
        self.projects: dict = {}  # (account, id) -> {region, name, description, tags, members: {user: (role, remote)}}
        self.profiles: dict = {}  # (account, user) -> {display, email, key}
        self.steps = 0

    def client(self, account, region=REGIONS[0]):
        return self.clients(SERVICE, account, region)

    def memberships(self, user: str) -> int:
        return sum(user in p["members"] for p in self.projects.values())

    def pick_project(self, data):
        return data.draw(st.sampled_from(list(self.projects)), label="project")

    # -- projects --------------------------------------------------------------
    @rule(account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS), project_id=st.sampled_from(PROJECT_IDS) | SHAPES.valid("ProjectId"),
          name=PROJECT_NAMES, description=st.none() | DESCRIPTIONS, tags=TAGS)
    def create_project(self, account, region, project_id, name, description, tags):
        client = self.client(account, region)
        params = {"name": name, "id": project_id, **({"description": description} if description is not None else {}),
                  **({"tags": tags} if tags else {})}
        if (account, project_id) in self.projects:
            # Ids are unique per account, across regions (docs/BEHAVIOUR.md).
            expect_error(SERVICE, "ProjectAlreadyExistsException", client.create_project, **params)
            return
        if self.memberships(creator(account)) >= USER_PROJECT_QUOTA:
            expect_error(SERVICE, "LimitExceededException", client.create_project, **params)
            return
        out = client.create_project(**params)
        assert out["id"] == project_id and out["arn"] == f"arn:aws:codestar:{region}:{account}:project/{project_id}", out
        self.projects[(account, project_id)] = {"region": region, "name": name, "description": description or None,
                                                "tags": dict(tags), "members": {creator(account): ("Owner", False)}}

    @precondition(lambda self: self.projects)
    @rule(data=st.data(), name=st.none() | PROJECT_NAMES, description=st.none() | DESCRIPTIONS)
    def update_project(self, data, name, description):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        params = {"id": project_id, **({"name": name} if name is not None else {}), **({"description": description} if description is not None else {})}
        self.client(account, p["region"]).update_project(**params)
        if name is not None:
            p["name"] = name
        if description is not None:
            p["description"] = description or None  # an empty description clears it

    @precondition(lambda self: self.projects)
    @rule(data=st.data(), delete_stack=st.booleans())
    def delete_project(self, data, delete_stack):
        account, project_id = key = self.pick_project(data)
        p = self.projects.pop(key)
        out = self.client(account, p["region"]).delete_project(id=project_id, deleteStack=delete_stack)
        assert out["projectArn"] == f"arn:aws:codestar:{p['region']}:{account}:project/{project_id}", out
        assert ("stackId" in out) == delete_stack, out

    @rule(account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS), project_id=st.sampled_from(PROJECT_IDS))
    def delete_absent_project(self, account, region, project_id):
        """DeleteProject of a project that is not there (here) succeeds and changes nothing."""
        if (account, project_id) in self.projects and self.projects[(account, project_id)]["region"] == region:
            return
        self.client(account, region).delete_project(id=project_id)

    @precondition(lambda self: self.projects)
    @rule(data=st.data(), tags=TAGS | MANY_TAGS)
    def tag_project(self, data, tags):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        client = self.client(account, p["region"])
        if len(set(p["tags"]) | set(tags)) > TAG_QUOTA:
            expect_error(SERVICE, "LimitExceededException", client.tag_project, id=project_id, tags=tags)
            return
        out = client.tag_project(id=project_id, tags=tags)
        p["tags"].update(tags)
        assert out["tags"] == p["tags"], (out, p["tags"])

    @precondition(lambda self: self.projects)
    @rule(data=st.data(), absent=st.lists(st.sampled_from([f"k{i}" for i in range(60)]), max_size=2))
    def untag_project(self, data, absent):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        keys = data.draw(st.lists(st.sampled_from(sorted(p["tags"])), unique=True), label="keys") if p["tags"] else []
        self.client(account, p["region"]).untag_project(id=project_id, tags=keys + absent)
        for k in keys + absent:
            p["tags"].pop(k, None)

    # -- team members ------------------------------------------------------------
    @precondition(lambda self: self.projects)
    @rule(data=st.data(), role=st.sampled_from(ROLES), remote=st.booleans())
    def associate_team_member(self, data, role, remote):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        user = data.draw(st.sampled_from(users(account)), label="user")
        client = self.client(account, p["region"])
        params = {"projectId": project_id, "userArn": user, "projectRole": role, "remoteAccessAllowed": remote}
        if user in p["members"]:
            expect_error(SERVICE, "TeamMemberAlreadyAssociatedException", client.associate_team_member, **params)
            return
        if self.memberships(user) >= USER_PROJECT_QUOTA:
            expect_error(SERVICE, "LimitExceededException", client.associate_team_member, **params)
            return
        client.associate_team_member(**params)
        p["members"][user] = (role, remote)

    @precondition(lambda self: self.projects)
    @rule(data=st.data(), role=st.none() | st.sampled_from(ROLES), remote=st.none() | st.booleans())
    def update_team_member(self, data, role, remote):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        user = data.draw(st.sampled_from(users(account)), label="user")
        client = self.client(account, p["region"])
        params = {"projectId": project_id, "userArn": user, **({"projectRole": role} if role else {}),
                  **({"remoteAccessAllowed": remote} if remote is not None else {})}
        if user not in p["members"]:
            expect_error(SERVICE, "TeamMemberNotFoundException", client.update_team_member, **params)
            return
        out = client.update_team_member(**params)
        old_role, old_remote = p["members"][user]
        p["members"][user] = (role or old_role, old_remote if remote is None else remote)
        assert (out["projectRole"], out["remoteAccessAllowed"]) == p["members"][user], out

    @precondition(lambda self: self.projects)
    @rule(data=st.data())
    def disassociate_team_member(self, data):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        user = data.draw(st.sampled_from(users(account)), label="user")
        # Removing a user who is not a member succeeds: the operation models no not-found error.
        self.client(account, p["region"]).disassociate_team_member(projectId=project_id, userArn=user)
        p["members"].pop(user, None)

    # -- user profiles -------------------------------------------------------------
    @rule(data=st.data(), account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS), display=DISPLAY_NAMES, email=EMAILS)
    def create_user_profile(self, data, account, region, display, email):
        user = data.draw(st.sampled_from(users(account)), label="user")
        client = self.client(account, region)
        params = {"userArn": user, "displayName": display, "emailAddress": email}
        if (account, user) in self.profiles:
            expect_error(SERVICE, "UserProfileAlreadyExistsException", client.create_user_profile, **params)
            return
        out = client.create_user_profile(**params)
        assert (out["userArn"], out["displayName"], out["emailAddress"]) == (user, display, email), out
        self.profiles[(account, user)] = {"display": display, "email": email, "key": ""}

    @precondition(lambda self: self.profiles)
    @rule(data=st.data(), region=st.sampled_from(REGIONS), display=st.none() | DISPLAY_NAMES, key=st.none() | SHAPES.valid("SshPublicKey"))
    def update_user_profile(self, data, region, display, key):
        account, user = which = data.draw(st.sampled_from(list(self.profiles)), label="profile")
        profile = self.profiles[which]
        # Profiles belong to IAM users, which are global: any region of the account sees them.
        self.client(account, region).update_user_profile(userArn=user, **({"displayName": display} if display else {}),
                                                         **({"sshPublicKey": key} if key is not None else {}))
        profile["display"] = display or profile["display"]
        profile["key"] = profile["key"] if key is None else key

    @rule(data=st.data(), account=st.sampled_from(ACCOUNTS), region=st.sampled_from(REGIONS))
    def delete_user_profile(self, data, account, region):
        user = data.draw(st.sampled_from(users(account)), label="user")
        # Deleting a profile that is not there succeeds as well.
        assert self.client(account, region).delete_user_profile(userArn=user)["userArn"] == user
        self.profiles.pop((account, user), None)

    # -- from the wrong account or region --------------------------------------------
    @precondition(lambda self: self.projects)
    @rule(data=st.data())
    def probe_from_elsewhere(self, data):
        account, project_id = key = self.pick_project(data)
        p = self.projects[key]
        where = [(a, r) for a in ACCOUNTS for r in REGIONS if a != account and (a, project_id) not in self.projects]
        where += [(account, r) for r in REGIONS if r != p["region"]]
        other, region = data.draw(st.sampled_from(where), label="from")
        client = self.client(other, region)
        call = data.draw(st.sampled_from(["describe", "tags", "members", "tag", "update"]), label="call")
        fn, params = {
            "describe": (client.describe_project, {"id": project_id}),
            "tags": (client.list_tags_for_project, {"id": project_id}),
            "members": (client.list_team_members, {"projectId": project_id}),
            "tag": (client.tag_project, {"id": project_id, "tags": {"x": "y"}}),
            "update": (client.update_project, {"id": project_id, "name": "hijacked"}),
        }[call]
        expect_error(SERVICE, "ProjectNotFoundException", fn, **params)
        profile = users(account)[1]
        if other != account and (other, profile) not in self.profiles:
            # Profiles are per account: another account's profile of the same user is not this one's.
            expect_error(SERVICE, "UserProfileNotFoundException", client.describe_user_profile, userArn=profile)

    # -- what must hold after every step -----------------------------------------------
    @invariant()
    def everything_reads_back(self):
        self.steps += 1
        self.clients.steps += 1
        size = (1, 2, 3, None)[self.steps % 4]
        for account in ACCOUNTS:
            for region in REGIONS:
                client = self.client(account, region)
                listed = all_pages(client.list_projects, "projects", "nextToken", "maxResults", size)
                expected = [pid for (a, pid), p in self.projects.items() if a == account and p["region"] == region]
                assert [p["projectId"] for p in listed] == expected, (account, region, listed, expected)
                for item in listed:
                    self.check_project(client, account, region, item)
            client = self.client(account, REGIONS[self.steps % 2])
            profiles = all_pages(client.list_user_profiles, "userProfiles", "nextToken", "maxResults", size)
            expected = [user for (a, user) in self.profiles if a == account]
            assert [p["userArn"] for p in profiles] == expected, (account, profiles, expected)
            for item in profiles:
                want = self.profiles[(account, item["userArn"])]
                got = client.describe_user_profile(userArn=item["userArn"])
                shown = {"userArn": item["userArn"], "displayName": want["display"], "emailAddress": want["email"], "sshPublicKey": want["key"]}
                assert {k: got[k] for k in shown} == shown == item, (got, shown, item)

    def check_project(self, client, account, region, item):
        project_id = item["projectId"]
        p = self.projects[(account, project_id)]
        arn = f"arn:aws:codestar:{region}:{account}:project/{project_id}"
        assert item["projectArn"] == arn, item
        got = client.describe_project(id=project_id)
        assert (got["id"], got["arn"], got["name"], got.get("description"), got["status"]["state"]) == (
            project_id, arn, p["name"], p["description"], "CreateComplete"), (got, p)
        tags = client.list_tags_for_project(id=project_id)["tags"]
        assert tags == p["tags"], (tags, p["tags"])
        size = (1, 2, None)[self.steps % 3]
        members = all_pages(client.list_team_members, "teamMembers", "nextToken", "maxResults", size, projectId=project_id)
        assert [(m["userArn"], m["projectRole"], m["remoteAccessAllowed"]) for m in members] == [
            (user, role, remote) for user, (role, remote) in p["members"].items()], (members, p["members"])


def test_codestar_state_machine(fuzz_server):
    clients = Clients(fuzz_server)
    run_state_machine_as_test(lambda: CodeStarMachine(clients), settings=machine_settings())
    print(f"CodeStarMachine: {clients.runs} runs, {clients.steps} steps")  # shown with -s or -rP

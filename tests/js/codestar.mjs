// The 18 CodeStar (2017-04-19, AWS JSON 1.1) operations through @aws-sdk/client-codestar
// 3.523.0 (the last release). Leaves one updated, tagged project with a second team member
// and one user profile behind (reported in data) for the caller to read back with boto3.
//
// The server's project timings are the defaults: CreateInProgress and DeleteInProgress
// last 0.5 s, so the script waits 0.7 s to see the next state.
import * as cs from "@aws-sdk/client-codestar";
import { assert, credentials, env, harness, recordRequests, rejection, rewriteTarget, scopeService, uniqueName } from "./lib.mjs";

const t = harness();

const OPERATIONS = [
  "AssociateTeamMember",
  "CreateProject",
  "CreateUserProfile",
  "DeleteProject",
  "DeleteUserProfile",
  "DescribeProject",
  "DescribeUserProfile",
  "DisassociateTeamMember",
  "ListProjects",
  "ListResources",
  "ListTagsForProject",
  "ListTeamMembers",
  "ListUserProfiles",
  "TagProject",
  "UntagProject",
  "UpdateProject",
  "UpdateTeamMember",
  "UpdateUserProfile",
];
// Past the server's create and delete times (0.5 s unless the test says otherwise).
const WAIT_MS = Number(process.env.CSL_PROJECT_WAIT_MS || 700);
const USER_ARN = /^arn:aws:iam::\d{12}:user\/[\w+=,.@-]+$/;

function codestarClient() {
  const client = new cs.CodeStarClient({ endpoint: env.endpoint, region: env.region, credentials: credentials(), maxAttempts: 1 });
  client.sent = recordRequests(client);
  return client;
}

const client = codestarClient();
const send = (Command, input) => client.send(new Command(input));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const strip = ({ $metadata, ...rest }) => rest; // an output without $metadata
const projectArn = (id) => `arn:aws:codestar:${env.region}:${env.account}:project/${id}`;
const userArn = (name) => `arn:aws:iam::${env.account}:user/${name}`;
// Project ids are 2-15 characters of [a-z0-9-] starting with a letter.
const projectId = (prefix) => uniqueName(prefix).slice(0, 15);

// A modelled CodeStar error: its own class, 400, its class's fault, a message, a request id.
function modelled(err, Class, code = Class.name) {
  assert.ok(err instanceof Class, `${err && err.name}: ${err && err.message} is not a ${Class.name}`);
  assert.ok(err instanceof cs.CodeStarServiceException);
  assert.equal(err.name, code);
  assert.equal(err.$metadata.httpStatusCode, 400);
  // The class decides: @aws-sdk/client-codestar marks ConcurrentModificationException a server fault (the
  // botocore model does not), though it is answered with 400 like every CodeStar error.
  assert.equal(err.$fault, new Class({ message: "", $metadata: {} }).$fault);
  if (Class !== cs.ConcurrentModificationException) assert.equal(err.$fault, "client");
  assert.equal(typeof err.message, "string");
  assert.ok(err.message.length > 0, "message is not empty");
  assert.ok(err.$metadata.requestId, "x-amzn-RequestId reaches $metadata.requestId");
  return err;
}

function isUserArn(arn) {
  assert.match(arn, USER_ARN);
  assert.ok(arn.length >= 32, `${arn} is shorter than the model's 32 characters`);
  assert.ok(arn.length <= 95, `${arn} is longer than the model's 95 characters`);
}

function recentDate(value, since) {
  assert.ok(value instanceof Date, `${value} is a Date`);
  assert.ok(!Number.isNaN(value.getTime()), "a valid Date");
  // The server's clock and this one are the same machine's; allow a little slack.
  assert.ok(value.getTime() >= since - 2000 && value.getTime() <= Date.now() + 2000, `${value.toISOString()} is recent`);
}

// Every page of a paginated list operation.
async function pages(Command, input, key) {
  const seen = [];
  let nextToken;
  do {
    const out = await send(Command, { ...input, ...(nextToken ? { nextToken } : {}) });
    seen.push(out[key]);
    nextToken = out.nextToken;
    if (nextToken) assert.equal(typeof nextToken, "string");
  } while (nextToken);
  return seen;
}

const started = Date.now();
const creator = userArn(env.account); // the caller: an IAM user named after its access key id
const alice = userArn("alice-codestar-js");
const bob = userArn("bob-codestar-js");
const mainId = projectId("js");
const toolId = projectId("tc");
const pageIds = [projectId("pa"), projectId("pb"), projectId("pc")];
const token = `tok-${mainId}`;
const createInput = {
  id: mainId,
  name: "JS project",
  description: "made by the JS SDK",
  clientRequestToken: token,
  tags: { env: "test", team: "js" },
};
let created, firstDescribe, stackId;

// -- projects ------------------------------------------------------------------

await t.check("CreateProject with tags and a client request token", async () => {
  const out = await send(cs.CreateProjectCommand, createInput);
  // At once, so that the project is surely still being created.
  firstDescribe = await send(cs.DescribeProjectCommand, { id: mainId });
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.$metadata.requestId, "x-amzn-RequestId reaches $metadata.requestId");
  created = strip(out);
  assert.deepEqual(created, { id: mainId, arn: projectArn(mainId), clientRequestToken: token });
});

await t.check("CreateProject replay: the same token and request give the same answer", async () => {
  const again = await send(cs.CreateProjectCommand, createInput);
  assert.deepEqual(strip(again), created);
  const { projects } = await send(cs.ListProjectsCommand, {});
  assert.deepEqual(projects.map((p) => p.projectId), [mainId], "the replay made no second project");
});

await t.check("CreateProject: the same token with another request is ValidationException", async () => {
  const err = modelled(
    await rejection(send(cs.CreateProjectCommand, { ...createInput, name: "another name" })),
    cs.ValidationException,
  );
  assert.ok(err.message.includes(token), err.message);
});

await t.check("CreateProject: a taken id is ProjectAlreadyExistsException", async () => {
  const err = modelled(await rejection(send(cs.CreateProjectCommand, { id: mainId, name: "dup" })), cs.ProjectAlreadyExistsException);
  assert.match(err.message, /same ID already exists/);
});

await t.check("DescribeProject: CreateInProgress, then CreateComplete", async () => {
  const d = firstDescribe;
  assert.equal(d.status.state, "CreateInProgress");
  assert.equal(d.id, mainId);
  assert.equal(d.name, "JS project");
  assert.equal(d.description, "made by the JS SDK");
  assert.equal(d.arn, projectArn(mainId));
  assert.equal(d.clientRequestToken, token);
  recentDate(d.createdTimeStamp, started);
  assert.match(d.stackId, new RegExp(`^arn:aws:cloudformation:${env.region}:${env.account}:stack/awscodestar-${mainId}/[0-9a-f-]{36}$`));
  stackId = d.stackId;
  await sleep(WAIT_MS);
  const later = await send(cs.DescribeProjectCommand, { id: mainId });
  assert.equal(later.status.state, "CreateComplete");
  assert.equal(later.createdTimeStamp.getTime(), d.createdTimeStamp.getTime());
  assert.equal(later.stackId, stackId);
});

await t.check("DescribeProject of a missing project is ProjectNotFoundException", async () => {
  const err = modelled(await rejection(send(cs.DescribeProjectCommand, { id: "no-such-proj" })), cs.ProjectNotFoundException);
  assert.equal(err.message, "The project ID was not found: no-such-proj. Make sure that the project ID is correct and then try again.");
});

await t.check("UpdateProject", async () => {
  const out = await send(cs.UpdateProjectCommand, { id: mainId, name: "JS project v2", description: "updated" });
  assert.deepEqual(strip(out), {});
  let d = await send(cs.DescribeProjectCommand, { id: mainId });
  assert.equal(d.name, "JS project v2");
  assert.equal(d.description, "updated");
  // An empty description clears it; a missing name leaves the name.
  await send(cs.UpdateProjectCommand, { id: mainId, description: "" });
  d = await send(cs.DescribeProjectCommand, { id: mainId });
  assert.equal(d.name, "JS project v2");
  assert.equal(d.description, undefined);
  modelled(await rejection(send(cs.UpdateProjectCommand, { id: "no-such-proj", name: "x" })), cs.ProjectNotFoundException);
});

// -- tags ----------------------------------------------------------------------

await t.check("TagProject returns the project's whole tag map", async () => {
  const out = await send(cs.TagProjectCommand, { id: mainId, tags: { team: "sdk", owner: "me", tmp: "1" } });
  assert.deepEqual(out.tags, { env: "test", team: "sdk", owner: "me", tmp: "1" });
});

await t.check("UntagProject", async () => {
  const out = await send(cs.UntagProjectCommand, { id: mainId, tags: ["tmp", "absent"] });
  assert.deepEqual(strip(out), {});
  const { tags } = await send(cs.ListTagsForProjectCommand, { id: mainId });
  assert.deepEqual(tags, { env: "test", team: "sdk", owner: "me" });
});

await t.check("ListTagsForProject, also page by page", async () => {
  const out = await send(cs.ListTagsForProjectCommand, { id: mainId });
  assert.deepEqual(out.tags, { env: "test", team: "sdk", owner: "me" });
  assert.equal(out.nextToken, undefined);
  const got = await pages(cs.ListTagsForProjectCommand, { id: mainId, maxResults: 2 }, "tags");
  assert.deepEqual(got.map((p) => Object.keys(p).length), [2, 1]);
  assert.deepEqual(Object.assign({}, ...got), out.tags);
  modelled(await rejection(send(cs.ListTagsForProjectCommand, { id: "no-such-proj" })), cs.ProjectNotFoundException);
  t.data.tags = out.tags;
});

// -- resources -----------------------------------------------------------------

await t.check("CreateProject with sourceCode and toolchain, then ListResources", async () => {
  const repo = `${toolId}-repo`;
  const out = await send(cs.CreateProjectCommand, {
    id: toolId,
    name: "JS toolchain project",
    sourceCode: [
      {
        source: { s3: { bucketName: "my-bucket", bucketKey: "source.zip" } },
        destination: { codeCommit: { name: repo } },
      },
    ],
    toolchain: {
      source: { s3: { bucketName: "my-bucket", bucketKey: "toolchain.yml" } },
      roleArn: `arn:aws:iam::${env.account}:role/CodeStarWorker`,
      stackParameters: { ProjectId: toolId },
    },
  });
  assert.deepEqual(strip(out), { id: toolId, arn: projectArn(toolId) });
  const { resources, nextToken } = await send(cs.ListResourcesCommand, { projectId: toolId });
  assert.equal(nextToken, undefined);
  assert.ok(resources.length > 0, "a toolchain makes resources");
  for (const r of resources) assert.match(r.id, /^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:\S+$/);
  const ids = resources.map((r) => r.id);
  const d = await send(cs.DescribeProjectCommand, { id: toolId });
  assert.ok(ids.includes(d.stackId), `${d.stackId} in ${ids}`);
  assert.ok(ids.includes(`arn:aws:codecommit:${env.region}:${env.account}:${repo}`), ids.join(" "));
  assert.equal(new Set(ids).size, ids.length, "no resource twice");
  // Page by page, the same list.
  const got = await pages(cs.ListResourcesCommand, { projectId: toolId, maxResults: 3 }, "resources");
  assert.ok(got.length > 1, "more than one page");
  assert.ok(got.slice(0, -1).every((p) => p.length === 3));
  assert.deepEqual(got.flat().map((r) => r.id), ids);
  t.data.resources = ids;
});

await t.check("ListResources of a project without a toolchain is empty", async () => {
  const out = await send(cs.ListResourcesCommand, { projectId: mainId });
  assert.deepEqual(out.resources, []);
  assert.equal(out.nextToken, undefined);
  modelled(await rejection(send(cs.ListResourcesCommand, { projectId: "no-such-proj" })), cs.ProjectNotFoundException);
});

await t.check("ListProjects with maxResults and nextToken", async () => {
  for (const [n, id] of pageIds.entries()) {
    await send(cs.CreateProjectCommand, { id, name: `page project ${n}` });
  }
  const all = [mainId, toolId, ...pageIds];
  const got = await pages(cs.ListProjectsCommand, { maxResults: 2 }, "projects");
  assert.deepEqual(got.map((p) => p.length), [2, 2, 1]);
  const flat = got.flat();
  assert.deepEqual(flat.map((p) => p.projectId).sort(), [...all].sort());
  for (const p of flat) assert.equal(p.projectArn, projectArn(p.projectId));
  const whole = await send(cs.ListProjectsCommand, {});
  assert.deepEqual(whole.projects, flat, "the pages are the whole list in order");
  assert.equal(whole.nextToken, undefined);
  t.data.projectPages = got.map((p) => p.map((x) => x.projectId));
});

await t.check("ListProjects with a bad nextToken is InvalidNextTokenException", async () => {
  modelled(await rejection(send(cs.ListProjectsCommand, { nextToken: "bm90LWEtdG9rZW4=" })), cs.InvalidNextTokenException);
});

// -- team members ----------------------------------------------------------------

await t.check("ListTeamMembers: the creator is the Owner without remote access", async () => {
  isUserArn(creator);
  const out = await send(cs.ListTeamMembersCommand, { projectId: mainId });
  assert.deepEqual(out.teamMembers, [{ userArn: creator, projectRole: "Owner", remoteAccessAllowed: false }]);
  assert.equal(out.nextToken, undefined);
});

await t.check("AssociateTeamMember", async () => {
  isUserArn(alice);
  const memberToken = `tm-${mainId}`;
  const input = { projectId: mainId, userArn: alice, projectRole: "Contributor", remoteAccessAllowed: true, clientRequestToken: memberToken };
  const out = await send(cs.AssociateTeamMemberCommand, input);
  assert.deepEqual(strip(out), { clientRequestToken: memberToken });
  // The same token and request: the same answer, no error.
  assert.deepEqual(strip(await send(cs.AssociateTeamMemberCommand, input)), { clientRequestToken: memberToken });
  const plain = await send(cs.AssociateTeamMemberCommand, { projectId: mainId, userArn: bob, projectRole: "Viewer" });
  assert.deepEqual(strip(plain), {});
  const { teamMembers } = await send(cs.ListTeamMembersCommand, { projectId: mainId });
  const byArn = Object.fromEntries(teamMembers.map((m) => [m.userArn, m]));
  assert.deepEqual(Object.keys(byArn).sort(), [creator, alice, bob].sort());
  assert.deepEqual(byArn[alice], { userArn: alice, projectRole: "Contributor", remoteAccessAllowed: true });
  assert.deepEqual(byArn[bob], { userArn: bob, projectRole: "Viewer", remoteAccessAllowed: false });
  const got = await pages(cs.ListTeamMembersCommand, { projectId: mainId, maxResults: 2 }, "teamMembers");
  assert.deepEqual(got.map((p) => p.length), [2, 1]);
  assert.deepEqual(got.flat(), teamMembers);
});

await t.check("AssociateTeamMember of a member is TeamMemberAlreadyAssociatedException", async () => {
  const err = await rejection(send(cs.AssociateTeamMemberCommand, { projectId: mainId, userArn: alice, projectRole: "Viewer" }));
  modelled(err, cs.TeamMemberAlreadyAssociatedException);
  const again = await rejection(send(cs.AssociateTeamMemberCommand, { projectId: mainId, userArn: creator, projectRole: "Owner" }));
  modelled(again, cs.TeamMemberAlreadyAssociatedException);
});

await t.check("UpdateTeamMember", async () => {
  const out = await send(cs.UpdateTeamMemberCommand, { projectId: mainId, userArn: alice, projectRole: "Viewer", remoteAccessAllowed: false });
  assert.deepEqual(strip(out), { userArn: alice, projectRole: "Viewer", remoteAccessAllowed: false });
  // Only what is given changes.
  const partial = await send(cs.UpdateTeamMemberCommand, { projectId: mainId, userArn: alice, remoteAccessAllowed: true });
  assert.deepEqual(strip(partial), { userArn: alice, projectRole: "Viewer", remoteAccessAllowed: true });
  const { teamMembers } = await send(cs.ListTeamMembersCommand, { projectId: mainId });
  assert.deepEqual(teamMembers.find((m) => m.userArn === alice), { userArn: alice, projectRole: "Viewer", remoteAccessAllowed: true });
});

await t.check("UpdateTeamMember of a non-member is TeamMemberNotFoundException", async () => {
  const stranger = userArn("carol-codestar-js");
  isUserArn(stranger);
  const err = await rejection(send(cs.UpdateTeamMemberCommand, { projectId: mainId, userArn: stranger, projectRole: "Viewer" }));
  modelled(err, cs.TeamMemberNotFoundException);
});

await t.check("DisassociateTeamMember, idempotent on a non-member", async () => {
  const out = await send(cs.DisassociateTeamMemberCommand, { projectId: mainId, userArn: bob });
  assert.deepEqual(strip(out), {});
  const again = await send(cs.DisassociateTeamMemberCommand, { projectId: mainId, userArn: bob });
  assert.deepEqual(strip(again), {});
  assert.equal(again.$metadata.httpStatusCode, 200);
  const { teamMembers } = await send(cs.ListTeamMembersCommand, { projectId: mainId });
  assert.deepEqual(teamMembers.map((m) => m.userArn).sort(), [creator, alice].sort());
  modelled(await rejection(send(cs.DisassociateTeamMemberCommand, { projectId: "no-such-proj", userArn: bob })), cs.ProjectNotFoundException);
  t.data.teamMembers = teamMembers;
});

// -- user profiles ---------------------------------------------------------------

const profile = { userArn: alice, displayName: "Alice", emailAddress: "alice@example.com", sshPublicKey: "ssh-rsa AAAAB3Nza alice" };
let profileCreated;

await t.check("CreateUserProfile", async () => {
  const before = Date.now();
  const out = await send(cs.CreateUserProfileCommand, profile);
  const { createdTimestamp, lastModifiedTimestamp, ...rest } = strip(out);
  assert.deepEqual(rest, profile);
  recentDate(createdTimestamp, before);
  recentDate(lastModifiedTimestamp, before);
  assert.equal(lastModifiedTimestamp.getTime(), createdTimestamp.getTime());
  profileCreated = createdTimestamp;
  // Without an SSH key: the key is empty.
  const second = await send(cs.CreateUserProfileCommand, { userArn: bob, displayName: "Bob", emailAddress: "bob@example.com" });
  assert.equal(second.userArn, bob);
  assert.equal(second.sshPublicKey, "");
});

await t.check("CreateUserProfile twice is UserProfileAlreadyExistsException", async () => {
  const err = await rejection(send(cs.CreateUserProfileCommand, { userArn: alice, displayName: "A2", emailAddress: "a2@example.com" }));
  modelled(err, cs.UserProfileAlreadyExistsException);
});

await t.check("DescribeUserProfile", async () => {
  const out = await send(cs.DescribeUserProfileCommand, { userArn: alice });
  const { createdTimestamp, lastModifiedTimestamp, ...rest } = strip(out);
  assert.deepEqual(rest, profile);
  assert.ok(createdTimestamp instanceof Date && lastModifiedTimestamp instanceof Date);
  assert.equal(createdTimestamp.getTime(), profileCreated.getTime());
});

await t.check("UpdateUserProfile", async () => {
  await sleep(20);
  const out = await send(cs.UpdateUserProfileCommand, { userArn: alice, displayName: "Alice Liddell" });
  assert.equal(out.displayName, "Alice Liddell");
  assert.equal(out.emailAddress, profile.emailAddress, "what is not given stays");
  assert.equal(out.sshPublicKey, profile.sshPublicKey);
  assert.ok(out.createdTimestamp instanceof Date && out.lastModifiedTimestamp instanceof Date);
  assert.equal(out.createdTimestamp.getTime(), profileCreated.getTime());
  assert.ok(out.lastModifiedTimestamp.getTime() > profileCreated.getTime(), "lastModifiedTimestamp moves on");
  const d = await send(cs.DescribeUserProfileCommand, { userArn: alice });
  assert.equal(d.displayName, "Alice Liddell");
  assert.equal(d.lastModifiedTimestamp.getTime(), out.lastModifiedTimestamp.getTime());
});

await t.check("ListUserProfiles, also page by page", async () => {
  const out = await send(cs.ListUserProfilesCommand, {});
  assert.equal(out.nextToken, undefined);
  const byArn = Object.fromEntries(out.userProfiles.map((u) => [u.userArn, u]));
  assert.deepEqual(Object.keys(byArn).sort(), [alice, bob].sort());
  // The summaries have no timestamps.
  assert.deepEqual(byArn[alice], { ...profile, displayName: "Alice Liddell" });
  const got = await pages(cs.ListUserProfilesCommand, { maxResults: 1 }, "userProfiles");
  assert.deepEqual(got.map((p) => p.length), [1, 1]);
  assert.deepEqual(got.flat(), out.userProfiles);
});

await t.check("DeleteUserProfile, idempotent", async () => {
  const out = await send(cs.DeleteUserProfileCommand, { userArn: bob });
  assert.deepEqual(strip(out), { userArn: bob });
  const again = await send(cs.DeleteUserProfileCommand, { userArn: bob });
  assert.deepEqual(strip(again), { userArn: bob });
  const { userProfiles } = await send(cs.ListUserProfilesCommand, {});
  assert.deepEqual(userProfiles.map((u) => u.userArn), [alice]);
});

await t.check("a missing user profile is UserProfileNotFoundException", async () => {
  modelled(await rejection(send(cs.DescribeUserProfileCommand, { userArn: bob })), cs.UserProfileNotFoundException);
  modelled(await rejection(send(cs.UpdateUserProfileCommand, { userArn: bob, displayName: "Bob" })), cs.UserProfileNotFoundException);
});

// -- deletion --------------------------------------------------------------------

await t.check("DeleteProject with deleteStack: DeleteInProgress, then ProjectNotFoundException", async () => {
  const { stackId: toolStack } = await send(cs.DescribeProjectCommand, { id: toolId });
  const out = await send(cs.DeleteProjectCommand, { id: toolId, deleteStack: true });
  const during = await send(cs.DescribeProjectCommand, { id: toolId });
  assert.deepEqual(strip(out), { projectArn: projectArn(toolId), stackId: toolStack });
  assert.equal(during.status.state, "DeleteInProgress");
  await sleep(WAIT_MS);
  const err = modelled(await rejection(send(cs.DescribeProjectCommand, { id: toolId })), cs.ProjectNotFoundException);
  assert.equal(err.message, `The project ID was not found: ${toolId}. Make sure that the project ID is correct and then try again.`);
  const { projects } = await send(cs.ListProjectsCommand, {});
  assert.ok(!projects.some((p) => p.projectId === toolId), "a deleted project is not listed");
  // Deleting what is gone succeeds.
  const again = await send(cs.DeleteProjectCommand, { id: toolId });
  assert.deepEqual(strip(again), { projectArn: projectArn(toolId) });
});

await t.check("DeleteProject without deleteStack has no stackId", async () => {
  const out = await send(cs.DeleteProjectCommand, { id: pageIds[0] });
  assert.deepEqual(strip(out), { projectArn: projectArn(pageIds[0]) });
  const during = await send(cs.DescribeProjectCommand, { id: pageIds[0] });
  assert.equal(during.status.state, "DeleteInProgress");
  // A project being deleted takes no changes: ConcurrentModificationException where modelled.
  const busy = await rejection(send(cs.TagProjectCommand, { id: pageIds[0], tags: { late: "yes" } }));
  modelled(busy, cs.ConcurrentModificationException);
  modelled(await rejection(send(cs.UpdateProjectCommand, { id: pageIds[0], name: "late" })), cs.ProjectNotFoundException);
  t.data.deleted = [toolId, pageIds[0]];
});

// -- the wire --------------------------------------------------------------------

await t.check("wire: JSON 1.1, CodeStar_20170419 target, codestar scope, all 18 operations", async () => {
  const ops = new Set();
  for (const headers of client.sent) {
    const m = /^CodeStar_20170419\.(\w+)$/.exec(headers["x-amz-target"]);
    assert.ok(m, headers["x-amz-target"]);
    ops.add(m[1]);
    assert.equal(headers["content-type"], "application/x-amz-json-1.1");
    assert.equal(scopeService(headers), "codestar");
  }
  assert.deepEqual([...ops].sort(), OPERATIONS);
  t.data.operations = [...ops].sort();
});

await t.check("an operation the model lacks is UnknownOperationException", async () => {
  const other = codestarClient();
  rewriteTarget(other, () => "CodeStar_20170419.ListWidgets");
  const err = await rejection(other.send(new cs.ListProjectsCommand({})));
  assert.ok(err instanceof cs.CodeStarServiceException, String(err));
  assert.equal(err.constructor, cs.CodeStarServiceException);
  assert.equal(err.name, "UnknownOperationException");
  assert.equal(err.$metadata.httpStatusCode, 400);
});

t.data.project = { id: mainId, arn: projectArn(mainId), name: "JS project v2", stackId, clientRequestToken: token };
t.data.projects = [mainId, pageIds[1], pageIds[2]]; // the live ones
t.data.creator = creator;
t.data.profile = { ...profile, displayName: "Alice Liddell" };
t.finish();

// Git sync through the JS SDK v3: repository links, sync configurations, a commit
// landing (control API), sync status, a blocker and its resolution, the paginators
// and typed errors. Run by tests/sync/test_sync_js.py; data is read back with boto3.
import { arnPrefix, assert, connectionsClient, csc, env, harness, rejection, statusOf, uniqueName } from "./lib.mjs";

const t = harness();
const client = connectionsClient();
const send = (Command, input) => client.send(new Command(input));
const STACK_SYNC = "CFN_STACK_SYNC";
const ROLE = "arn:aws:iam::123456789012:role/git-sync";

async function control(path, body) {
  const res = await fetch(`${env.endpoint}/_codestar-local/sync/${path}`, { method: "POST", body: JSON.stringify(body) });
  const out = await res.json();
  assert.equal(res.status, 200, JSON.stringify(out));
  return out;
}

function modelled(err, Class, code) {
  assert.ok(err instanceof Class, `${err && err.name}: ${err && err.message} is not a ${Class.name}`);
  assert.equal(err.name, code);
  assert.equal(err.$metadata.httpStatusCode, statusOf(code));
}

let connArn, link, linkId;
const stack = uniqueName("js-stack");
const bad = "a".repeat(40);
const good = "b".repeat(40);

await t.check("CreateRepositoryLink", async () => {
  connArn = (await send(csc.CreateConnectionCommand, { ConnectionName: uniqueName("js"), ProviderType: "Bitbucket" })).ConnectionArn;
  const out = await send(csc.CreateRepositoryLinkCommand, {
    ConnectionArn: connArn, OwnerId: "team", RepositoryName: "infra", Tags: [{ Key: "via", Value: "js" }],
  });
  link = out.RepositoryLinkInfo;
  linkId = link.RepositoryLinkId;
  assert.equal(link.RepositoryLinkArn, arnPrefix("repository-link") + linkId);
  assert.equal(link.ProviderType, "Bitbucket");
  assert.equal(link.ConnectionArn, connArn);
  assert.equal(link.Tags, undefined);
  const tags = await send(csc.ListTagsForResourceCommand, { ResourceArn: link.RepositoryLinkArn });
  assert.deepEqual(tags.Tags, [{ Key: "via", Value: "js" }]);
});

await t.check("GetRepositoryLink and UpdateRepositoryLink", async () => {
  assert.deepEqual((await send(csc.GetRepositoryLinkCommand, { RepositoryLinkId: linkId })).RepositoryLinkInfo, link);
  const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const out = await send(csc.UpdateRepositoryLinkCommand, { RepositoryLinkId: linkId, EncryptionKeyArn: key });
  assert.deepEqual(out.RepositoryLinkInfo, { ...link, EncryptionKeyArn: key });
  link = out.RepositoryLinkInfo;
});

await t.check("ResourceAlreadyExistsException on a duplicate link", async () => {
  const err = await rejection(send(csc.CreateRepositoryLinkCommand, { ConnectionArn: connArn, OwnerId: "team", RepositoryName: "infra" }));
  modelled(err, csc.ResourceAlreadyExistsException, "ResourceAlreadyExistsException");
});

await t.check("CreateSyncConfiguration and GetSyncConfiguration", async () => {
  const out = await send(csc.CreateSyncConfigurationCommand, {
    Branch: "main", ConfigFile: "deploy/deployment.yaml", RepositoryLinkId: linkId, ResourceName: stack,
    RoleArn: ROLE, SyncType: STACK_SYNC, TriggerResourceUpdateOn: "ANY_CHANGE",
  });
  assert.equal(out.SyncConfiguration.OwnerId, "team");
  assert.equal(out.SyncConfiguration.TriggerResourceUpdateOn, "ANY_CHANGE");
  const got = await send(csc.GetSyncConfigurationCommand, { SyncType: STACK_SYNC, ResourceName: stack });
  assert.deepEqual(got.SyncConfiguration, out.SyncConfiguration);
  const upd = await send(csc.UpdateSyncConfigurationCommand, { SyncType: STACK_SYNC, ResourceName: stack, PublishDeploymentStatus: "ENABLED" });
  assert.equal(upd.SyncConfiguration.PublishDeploymentStatus, "ENABLED");
});

await t.check("paginateListSyncConfigurations and paginateListRepositoryLinks", async () => {
  for (let i = 0; i < 6; i++) {
    await send(csc.CreateSyncConfigurationCommand, {
      Branch: "extra", ConfigFile: `s${i}.yaml`, RepositoryLinkId: linkId, ResourceName: `${stack}-${i}`, RoleArn: ROLE, SyncType: STACK_SYNC,
    });
  }
  const pages = [];
  for await (const page of csc.paginateListSyncConfigurations({ client, pageSize: 3 }, { RepositoryLinkId: linkId, SyncType: STACK_SYNC })) {
    pages.push(page.SyncConfigurations.map((c) => c.ResourceName));
  }
  assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
  assert.equal(pages[0][0], stack);
  const links = [];
  for await (const page of csc.paginateListRepositoryLinks({ client, pageSize: 1 }, {})) {
    links.push(...page.RepositoryLinks.map((l) => l.RepositoryLinkId));
  }
  assert.deepEqual(links, [linkId]);
  for (let i = 0; i < 6; i++) {
    await send(csc.DeleteSyncConfigurationCommand, { SyncType: STACK_SYNC, ResourceName: `${stack}-${i}` });
  }
});

await t.check("a failing commit: sync status and an ACTIVE blocker", async () => {
  await control("push", { RepositoryLinkId: linkId, Branch: "main", CommitId: bad, Outcome: "FAILED", DurationSeconds: 0 });
  const repo = await send(csc.GetRepositorySyncStatusCommand, { Branch: "main", RepositoryLinkId: linkId, SyncType: STACK_SYNC });
  assert.equal(repo.LatestSync.Status, "FAILED");
  assert.ok(repo.LatestSync.StartedAt instanceof Date, "StartedAt is a Date");
  const status = await send(csc.GetResourceSyncStatusCommand, { ResourceName: stack, SyncType: STACK_SYNC });
  assert.equal(status.LatestSync.Status, "FAILED");
  assert.equal(status.LatestSync.TargetRevision.Sha, bad);
  assert.ok(status.LatestSync.Events.every((e) => e.Time instanceof Date));
  const summary = await send(csc.GetSyncBlockerSummaryCommand, { ResourceName: stack, SyncType: STACK_SYNC });
  const [blocker] = summary.SyncBlockerSummary.LatestBlockers;
  assert.equal(blocker.Status, "ACTIVE");
  t.data.blockerId = blocker.Id;
});

await t.check("UpdateSyncBlocker resolves; unknown id is SyncBlockerDoesNotExistException", async () => {
  const err = await rejection(send(csc.UpdateSyncBlockerCommand, { Id: "missing", SyncType: STACK_SYNC, ResourceName: stack, ResolvedReason: "x" }));
  modelled(err, csc.SyncBlockerDoesNotExistException, "SyncBlockerDoesNotExistException");
  const out = await send(csc.UpdateSyncBlockerCommand, { Id: t.data.blockerId, SyncType: STACK_SYNC, ResourceName: stack, ResolvedReason: "fixed" });
  assert.equal(out.SyncBlocker.Status, "RESOLVED");
  assert.ok(out.SyncBlocker.ResolvedAt instanceof Date);
});

await t.check("the next commit syncs", async () => {
  await control("push", { RepositoryLinkId: linkId, Branch: "main", CommitId: good, DurationSeconds: 0 });
  let status;
  for (let i = 0; i < 200; i++) {
    status = await send(csc.GetResourceSyncStatusCommand, { ResourceName: stack, SyncType: STACK_SYNC });
    if (status.LatestSync.TargetRevision.Sha === good && status.LatestSync.Status === "SUCCEEDED") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status.LatestSync.Status, "SUCCEEDED");
  assert.equal(status.LatestSuccessfulSync.TargetRevision.Sha, good);
  const defs = await send(csc.ListRepositorySyncDefinitionsCommand, { RepositoryLinkId: linkId, SyncType: STACK_SYNC });
  assert.deepEqual(defs.RepositorySyncDefinitions, [{ Branch: "main", Directory: "deploy", Parent: stack, Target: stack }]);
});

await t.check("SyncConfigurationStillExistsException, then delete", async () => {
  const err = await rejection(send(csc.DeleteRepositoryLinkCommand, { RepositoryLinkId: linkId }));
  modelled(err, csc.SyncConfigurationStillExistsException, "SyncConfigurationStillExistsException");
  t.data.linkId = linkId;
  t.data.stack = stack;
  t.data.linkArn = link.RepositoryLinkArn;
  t.data.good = good;
});

t.finish();

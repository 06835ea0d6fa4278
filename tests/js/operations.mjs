// The 12 connection, host and tag operations through the JS SDK v3 client.
// Leaves one tagged connection and one host behind (reported in data) for the
// caller to read back with boto3.
import { arnPrefix, assert, connectionsClient, csc, env, harness, scopeService, TARGETS, uniqueName } from "./lib.mjs";

const t = harness();
const client = connectionsClient();
const send = (Command, input) => client.send(new Command(input));

let connArn, hostArn, hostConnArn, spareHostArn;
const connName = uniqueName("js");
const hostName = uniqueName("jsh");
const tags = [
  { Key: "env", Value: "test" },
  { Key: "team", Value: "js" },
];

await t.check("CreateConnection", async () => {
  const out = await send(csc.CreateConnectionCommand, { ConnectionName: connName, ProviderType: "GitHub", Tags: tags });
  assert.ok(out.ConnectionArn.startsWith(arnPrefix("connection")), out.ConnectionArn);
  assert.deepEqual(out.Tags, tags);
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.$metadata.requestId, "x-amzn-RequestId reaches $metadata.requestId");
  connArn = out.ConnectionArn;
});

await t.check("GetConnection", async () => {
  const { Connection: c } = await send(csc.GetConnectionCommand, { ConnectionArn: connArn });
  assert.deepEqual(c, {
    ConnectionName: connName,
    ConnectionArn: connArn,
    ProviderType: "GitHub",
    OwnerAccountId: env.account,
    ConnectionStatus: "PENDING",
  });
});

await t.check("ListConnections", async () => {
  const out = await send(csc.ListConnectionsCommand, {});
  assert.deepEqual(out.Connections.map((c) => c.ConnectionArn), [connArn]);
  const none = await send(csc.ListConnectionsCommand, { ProviderTypeFilter: "Bitbucket" });
  assert.deepEqual(none.Connections, []);
  assert.equal(none.NextToken, undefined);
});

await t.check("CreateHost", async () => {
  const out = await send(csc.CreateHostCommand, {
    Name: hostName,
    ProviderType: "GitHubEnterpriseServer",
    ProviderEndpoint: "https://ghe.example.com",
    Tags: [{ Key: "kind", Value: "host" }],
  });
  assert.ok(out.HostArn.startsWith(arnPrefix("host")), out.HostArn);
  hostArn = out.HostArn;
  const spare = await send(csc.CreateHostCommand, {
    Name: hostName + "-2",
    ProviderType: "GitLabSelfManaged",
    ProviderEndpoint: "https://gitlab.example.com",
  });
  spareHostArn = spare.HostArn;
});

await t.check("GetHost", async () => {
  const out = await send(csc.GetHostCommand, { HostArn: hostArn });
  assert.equal(out.Name, hostName);
  assert.equal(out.Status, "PENDING");
  assert.equal(out.ProviderType, "GitHubEnterpriseServer");
  assert.equal(out.ProviderEndpoint, "https://ghe.example.com");
  assert.equal(out.VpcConfiguration, undefined);
});

await t.check("ListHosts", async () => {
  const out = await send(csc.ListHostsCommand, {});
  const byArn = Object.fromEntries(out.Hosts.map((h) => [h.HostArn, h]));
  assert.deepEqual(Object.keys(byArn).sort(), [hostArn, spareHostArn].sort());
  assert.equal(byArn[hostArn].Name, hostName);
  assert.equal(byArn[spareHostArn].ProviderType, "GitLabSelfManaged");
});

await t.check("UpdateHost", async () => {
  const out = await send(csc.UpdateHostCommand, { HostArn: hostArn, ProviderEndpoint: "https://ghe2.example.com" });
  assert.equal(out.$metadata.httpStatusCode, 200);
  const got = await send(csc.GetHostCommand, { HostArn: hostArn });
  assert.equal(got.ProviderEndpoint, "https://ghe2.example.com");
  assert.equal(got.Status, "PENDING");
});

await t.check("CreateConnection on a host", async () => {
  const out = await send(csc.CreateConnectionCommand, { ConnectionName: connName + "-h", HostArn: hostArn });
  hostConnArn = out.ConnectionArn;
  const { Connection: c } = await send(csc.GetConnectionCommand, { ConnectionArn: hostConnArn });
  assert.equal(c.HostArn, hostArn);
  assert.equal(c.ProviderType, "GitHubEnterpriseServer");
  const filtered = await send(csc.ListConnectionsCommand, { HostArnFilter: hostArn });
  assert.deepEqual(filtered.Connections.map((x) => x.ConnectionArn), [hostConnArn]);
});

await t.check("TagResource", async () => {
  await send(csc.TagResourceCommand, { ResourceArn: hostArn, Tags: [{ Key: "kind", Value: "ghe" }, { Key: "owner", Value: "me" }] });
  const out = await send(csc.ListTagsForResourceCommand, { ResourceArn: hostArn });
  assert.deepEqual(sortTags(out.Tags), [
    { Key: "kind", Value: "ghe" },
    { Key: "owner", Value: "me" },
  ]);
});

await t.check("UntagResource", async () => {
  await send(csc.UntagResourceCommand, { ResourceArn: hostArn, TagKeys: ["kind", "absent"] });
  const out = await send(csc.ListTagsForResourceCommand, { ResourceArn: hostArn });
  assert.deepEqual(out.Tags, [{ Key: "owner", Value: "me" }]);
});

await t.check("ListTagsForResource", async () => {
  const out = await send(csc.ListTagsForResourceCommand, { ResourceArn: connArn });
  assert.deepEqual(sortTags(out.Tags), tags);
});

await t.check("DeleteConnection", async () => {
  const out = await send(csc.DeleteConnectionCommand, { ConnectionArn: hostConnArn });
  assert.equal(out.$metadata.httpStatusCode, 200);
  const err = await send(csc.GetConnectionCommand, { ConnectionArn: hostConnArn }).catch((e) => e);
  assert.ok(err instanceof csc.ResourceNotFoundException, String(err));
});

await t.check("DeleteHost", async () => {
  const out = await send(csc.DeleteHostCommand, { HostArn: hostArn });
  assert.equal(out.$metadata.httpStatusCode, 200);
  const err = await send(csc.GetHostCommand, { HostArn: hostArn }).catch((e) => e);
  assert.ok(err instanceof csc.ResourceNotFoundException, String(err));
});

// What went on the wire: the JS SDK's bare target (no namespace) and the scope.
await t.check("bare X-Amz-Target and signing scope", async () => {
  assert.ok(client.sent.length >= 12);
  const ops = new Set();
  for (const headers of client.sent) {
    const [prefix, op, ...rest] = headers["x-amz-target"].split(".");
    assert.equal(prefix, TARGETS[env.service]);
    assert.equal(rest.length, 0);
    ops.add(op);
    assert.equal(headers["content-type"], "application/x-amz-json-1.0");
    assert.equal(scopeService(headers), env.service);
  }
  assert.equal(ops.size, 12, [...ops].join(","));
});

t.data.connection = { arn: connArn, name: connName, tags };
t.data.host = { arn: spareHostArn, name: hostName + "-2" };
t.data.deleted = [hostConnArn, hostArn];
t.data.targets = client.sent.map((h) => h["x-amz-target"]);
t.finish();

function sortTags(list) {
  return [...list].sort((a, b) => a.Key.localeCompare(b.Key));
}

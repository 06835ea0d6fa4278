// Error paths as the JS SDK v3 surfaces them: modelled errors as typed exception
// classes, framework errors (ValidationException, UnknownOperationException, ...)
// as the generic service exception carrying the AWS error name.
import { arnPrefix, assert, connectionsClient, csc, env, harness, rejection, rewriteTarget, statusOf, TARGETS, uniqueName } from "./lib.mjs";

const t = harness();
const client = connectionsClient();
const send = (Command, input) => client.send(new Command(input));

const missingConnection = arnPrefix("connection") + "00000000-0000-0000-0000-000000000000";
const missingHost = arnPrefix("host") + "missing-00000000";

// A modelled error: its own class, the model's status, a message, a request id.
function modelled(err, Class, code) {
  assert.ok(err instanceof Class, `${err && err.name}: ${err && err.message} is not a ${Class.name}`);
  assert.ok(err instanceof csc.CodeStarConnectionsServiceException);
  assert.equal(err.name, code);
  assert.equal(err.$metadata.httpStatusCode, statusOf(code));
  assert.equal(err.$fault, statusOf(code) >= 500 ? "server" : "client");
  assert.equal(typeof err.message, "string");
  assert.ok(err.message.length > 0, "message is not empty");
  assert.ok(err.$metadata.requestId, "x-amzn-RequestId reaches $metadata.requestId");
}

// An error the model does not declare: the base class, identified by name.
function generic(err, code, status) {
  assert.ok(err instanceof csc.CodeStarConnectionsServiceException, String(err));
  assert.equal(err.constructor, csc.CodeStarConnectionsServiceException);
  assert.equal(err.name, code);
  assert.equal(err.$metadata.httpStatusCode, status);
  return err;
}

await t.check("ResourceNotFoundException on GetConnection", async () => {
  const err = await rejection(send(csc.GetConnectionCommand, { ConnectionArn: missingConnection }));
  modelled(err, csc.ResourceNotFoundException, "ResourceNotFoundException");
  assert.ok(err.message.includes(missingConnection), err.message);
});

await t.check("ResourceNotFoundException on host and tag operations", async () => {
  for (const [Command, input] of [
    [csc.GetHostCommand, { HostArn: missingHost }],
    [csc.DeleteHostCommand, { HostArn: missingHost }],
    [csc.UpdateHostCommand, { HostArn: missingHost, ProviderEndpoint: "https://x.example.com" }],
    [csc.DeleteConnectionCommand, { ConnectionArn: missingConnection }],
    [csc.ListTagsForResourceCommand, { ResourceArn: missingConnection }],
    [csc.TagResourceCommand, { ResourceArn: missingHost, Tags: [{ Key: "k", Value: "v" }] }],
    [csc.UntagResourceCommand, { ResourceArn: missingHost, TagKeys: ["k"] }],
  ]) {
    const err = await rejection(send(Command, input));
    modelled(err, csc.ResourceNotFoundException, "ResourceNotFoundException");
  }
});

await t.check("ValidationException: one constraint", async () => {
  const name = "n".repeat(33);
  const err = generic(
    await rejection(send(csc.CreateConnectionCommand, { ConnectionName: name, ProviderType: "GitHub" })),
    "ValidationException",
    400,
  );
  assert.equal(
    err.message,
    `1 validation error detected: Value '${name}' at 'connectionName' failed to satisfy constraint: ` +
      "Member must have length less than or equal to 32",
  );
  assert.equal(err.$fault, "client");
});

await t.check("ValidationException: several constraints in one message", async () => {
  const err = generic(
    await rejection(send(csc.CreateHostCommand, { ProviderType: "GitLabSelfManaged", ProviderEndpoint: "" })),
    "ValidationException",
    400,
  );
  assert.match(err.message, /^2 validation errors detected: /);
  assert.ok(err.message.includes("Value null at 'name' failed to satisfy constraint: Member must not be null"), err.message);
  assert.ok(
    err.message.includes("Value '' at 'providerEndpoint' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    err.message,
  );
});

await t.check("ValidationException: enum and pattern", async () => {
  const bad = generic(
    await rejection(send(csc.ListConnectionsCommand, { ProviderTypeFilter: "Gitea" })),
    "ValidationException",
    400,
  );
  assert.ok(bad.message.includes("Value 'Gitea' at 'providerTypeFilter' failed to satisfy constraint: Member must satisfy enum value set: ["), bad.message);
  const pattern = generic(await rejection(send(csc.GetHostCommand, { HostArn: "not-an-arn" })), "ValidationException", 400);
  assert.ok(pattern.message.startsWith("1 validation error detected: Value 'not-an-arn' at 'hostArn' failed to satisfy constraint: Member must satisfy regular expression pattern: "), pattern.message);
});

await t.check("UnsupportedProviderTypeException", async () => {
  const err = await rejection(
    send(csc.CreateHostCommand, { Name: uniqueName("h"), ProviderType: "GitHub", ProviderEndpoint: "https://ghe.example.com" }),
  );
  modelled(err, csc.UnsupportedProviderTypeException, "UnsupportedProviderTypeException");
});

await t.check("ResourceUnavailableException for a missing host", async () => {
  const err = await rejection(send(csc.CreateConnectionCommand, { ConnectionName: uniqueName("c"), HostArn: missingHost }));
  modelled(err, csc.ResourceUnavailableException, "ResourceUnavailableException");
});

await t.check("LimitExceededException for too many tags", async () => {
  const { ConnectionArn } = await send(csc.CreateConnectionCommand, { ConnectionName: uniqueName("c"), ProviderType: "GitLab" });
  const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
  const err = await rejection(send(csc.TagResourceCommand, { ResourceArn: ConnectionArn, Tags: tags }));
  modelled(err, csc.LimitExceededException, "LimitExceededException");
  const after = await send(csc.ListTagsForResourceCommand, { ResourceArn: ConnectionArn });
  assert.deepEqual(after.Tags, [], "a failed TagResource changes nothing");
});

await t.check("ConflictException for a provider endpoint already in use", async () => {
  const make = (endpoint) =>
    send(csc.CreateHostCommand, { Name: uniqueName("h"), ProviderType: "GitHubEnterpriseServer", ProviderEndpoint: endpoint });
  const first = await make("https://one.example.com");
  const second = await make("https://two.example.com");
  const err = await rejection(send(csc.UpdateHostCommand, { HostArn: second.HostArn, ProviderEndpoint: "https://one.example.com" }));
  modelled(err, csc.ConflictException, "ConflictException");
  t.data.conflictHosts = [first.HostArn, second.HostArn];
});

await t.check("UnknownOperationException for an operation the model lacks", async () => {
  const other = connectionsClient();
  const target = `${TARGETS[env.service]}.ListWidgets`;
  rewriteTarget(other, () => target);
  const err = generic(await rejection(other.send(new csc.ListConnectionsCommand({}))), "UnknownOperationException", 400);
  assert.equal(other.sent[0]["x-amz-target"], target);
  assert.equal(err.$fault, "client");
});

await t.check("InvalidSignatureException for the other service's scope", async () => {
  const signingName = env.service === "codeconnections" ? "codestar-connections" : "codeconnections";
  const wrong = connectionsClient({ signingName });
  const err = generic(await rejection(wrong.send(new csc.ListConnectionsCommand({}))), "InvalidSignatureException", 400);
  assert.ok(err.message.includes(`'${env.service}'`), err.message);
});

t.finish();

// Against a `serve --auth verify` server: the JS SDK's signatures verify on codestar-connections,
// codeconnections (the codestar-connections client with codeconnections' target and signing name) and
// codestar, and a wrong secret or an unknown key gets AWS's error, status and name.
// Env as lib.mjs, with CSL_ACCESS_KEY/CSL_SECRET a key of the server's credentials file whose account is
// CSL_ACCOUNT.
import * as cs from "@aws-sdk/client-codestar";
import { assert, arnPrefix, connectionsClient, credentials, csc, env, harness, rejection, uniqueName } from "./lib.mjs";

const t = harness();

function codestar(creds = credentials()) {
  return new cs.CodeStarClient({ endpoint: env.endpoint, region: env.region, credentials: creds, maxAttempts: 1 });
}

const good = credentials();
const wrongSecret = { ...good, secretAccessKey: good.secretAccessKey + "x" };
const unknownKey = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: good.secretAccessKey };

for (const service of ["codestar-connections", "codeconnections"]) {
  await t.check(`${service}: a verified call`, async () => {
    const client = connectionsClient({ service });
    const name = uniqueName("verified");
    const made = await client.send(new csc.CreateConnectionCommand({ ProviderType: "GitHub", ConnectionName: name }));
    assert.ok(made.ConnectionArn.startsWith(arnPrefix("connection", service)), made.ConnectionArn);
    t.data[service] = made.ConnectionArn;
  });
  for (const [label, creds, name, status] of [
    ["a wrong secret", wrongSecret, "InvalidSignatureException", 400],
    ["an unknown key", unknownKey, "UnrecognizedClientException", 403],
  ]) {
    await t.check(`${service}: ${label}`, async () => {
      const err = await rejection(connectionsClient({ service, creds }).send(new csc.ListConnectionsCommand({})));
      assert.equal(err.name, name);
      assert.equal(err.$metadata.httpStatusCode, status);
    });
  }
}

await t.check("codestar: a verified call", async () => {
  const id = uniqueName("js").slice(0, 15);
  await codestar().send(new cs.CreateProjectCommand({ name: id, id }));
  const listed = await codestar().send(new cs.ListProjectsCommand({}));
  assert.ok(listed.projects.some((p) => p.projectId === id && p.projectArn.includes(`:${env.account}:project/${id}`)), JSON.stringify(listed));
  t.data.codestar = id;
});

for (const [label, creds, name, status] of [
  ["a wrong secret", wrongSecret, "InvalidSignatureException", 400],
  ["an unknown key", unknownKey, "UnrecognizedClientException", 403],
]) {
  await t.check(`codestar: ${label}`, async () => {
    const err = await rejection(codestar(creds).send(new cs.ListProjectsCommand({})));
    assert.equal(err.name, name);
    assert.equal(err.$metadata.httpStatusCode, status);
  });
}

t.finish();

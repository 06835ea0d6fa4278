// @aws-sdk/client-codestar 3.523.0 (the last release). CodeStar operations may not be
// implemented yet, so this only checks that routing reaches a modelled operation: the
// answer is anything but UnknownOperationException, in the AWS JSON 1.1 error format.
import * as cs from "@aws-sdk/client-codestar";
import { assert, credentials, env, harness, recordRequests, rewriteTarget, scopeService } from "./lib.mjs";

const t = harness();

function codestarClient() {
  const client = new cs.CodeStarClient({ endpoint: env.endpoint, region: env.region, credentials: credentials(), maxAttempts: 1 });
  client.sent = recordRequests(client);
  return client;
}

// The outcome of a call, whatever it is.
async function outcome(client, command) {
  try {
    const out = await client.send(command);
    return { ok: true, status: out.$metadata.httpStatusCode };
  } catch (err) {
    if (!(err instanceof cs.CodeStarServiceException)) throw err;
    return { ok: false, name: err.name, status: err.$metadata.httpStatusCode, message: err.message, err };
  }
}

const client = codestarClient();
t.data.outcomes = {};

for (const [name, command] of [
  ["ListProjects", new cs.ListProjectsCommand({})],
  ["DescribeProject", new cs.DescribeProjectCommand({ id: "no-such-project" })],
  ["ListUserProfiles", new cs.ListUserProfilesCommand({})],
]) {
  await t.check(`${name} is routed`, async () => {
    const got = await outcome(client, command);
    t.data.outcomes[name] = { ok: got.ok, name: got.name, status: got.status, message: got.message };
    if (!got.ok) {
      assert.notEqual(got.name, "UnknownOperationException");
      assert.ok(got.name && got.name !== "Unknown", "the error is typed");
      assert.ok(got.status >= 400, String(got.status));
    }
  });
}

await t.check("wire: JSON 1.1, CodeStar_20170419 target, codestar scope", async () => {
  assert.equal(client.sent.length, 3);
  for (const headers of client.sent) {
    assert.match(headers["x-amz-target"], /^CodeStar_20170419\.(ListProjects|DescribeProject|ListUserProfiles)$/);
    assert.equal(headers["content-type"], "application/x-amz-json-1.1");
    assert.equal(scopeService(headers), "codestar");
  }
});

await t.check("an operation the model lacks is UnknownOperationException", async () => {
  const other = codestarClient();
  rewriteTarget(other, () => "CodeStar_20170419.ListWidgets");
  const got = await outcome(other, new cs.ListProjectsCommand({}));
  assert.equal(got.ok, false);
  assert.equal(got.name, "UnknownOperationException");
  assert.equal(got.status, 400);
  assert.equal(got.err.constructor, cs.CodeStarServiceException);
});

t.finish();

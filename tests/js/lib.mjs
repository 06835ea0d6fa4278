// Shared helpers for the JS SDK scripts. Each script prints one JSON line
// {checks, data} on stdout and exits 1 when a check failed; tests/api/test_js_sdk.py runs them.
//
// Env: CSL_ENDPOINT (required), CSL_ACCOUNT (12 digits, used as the access key id),
// CSL_REGION (default us-east-1), CSL_SERVICE (codestar-connections | codeconnections),
// CSL_ERROR_STATUS (JSON {ErrorCode: httpStatus} read from the botocore model by the caller).
import assert from "node:assert/strict";
import * as csc from "@aws-sdk/client-codestar-connections";

export { assert, csc };

export const env = {
  endpoint: required("CSL_ENDPOINT"),
  account: process.env.CSL_ACCOUNT || "000000000000",
  region: process.env.CSL_REGION || "us-east-1",
  service: process.env.CSL_SERVICE || "codestar-connections",
  errorStatus: JSON.parse(process.env.CSL_ERROR_STATUS || "{}"),
};

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

// The JSON 1.0 target names of the two connection services.
export const TARGETS = {
  "codestar-connections": "CodeStar_connections_20191201",
  codeconnections: "CodeConnections_20231201",
};

// The access key id is the account (the server's --auth off rule) unless CSL_ACCESS_KEY names a key of a
// --auth verify server's credentials file; CSL_SECRET is its secret.
export function credentials(account = env.account) {
  return {
    accessKeyId: process.env.CSL_ACCESS_KEY || account,
    secretAccessKey: process.env.CSL_SECRET || "secret",
  };
}

// A client of `service`. @aws-sdk/client-codeconnections is not on the reachable
// registry, so codeconnections is spoken by the codestar-connections client with what
// the upstream codeconnections client changes: the bare target prefix and the signing
// name. The bodies of the two services are identical.
export function connectionsClient({ service = env.service, account = env.account, region = env.region, signingName, creds } = {}) {
  const config = { endpoint: env.endpoint, region, credentials: creds || credentials(account), maxAttempts: 1 };
  const name = signingName || service;
  if (name !== "codestar-connections") {
    config.signingName = name; // the SigV4 scope service (@aws-sdk/core's signer option)
  }
  const client = new csc.CodeStarConnectionsClient(config);
  if (service !== "codestar-connections") {
    rewriteTarget(client, (op) => `${TARGETS[service]}.${op}`);
  }
  client.sent = recordRequests(client);
  return client;
}

// Replace the X-Amz-Target operation before signing (build step).
export function rewriteTarget(client, make) {
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = args.request.headers;
      const op = headers["x-amz-target"].split(".").pop();
      headers["x-amz-target"] = make(op);
      return next(args);
    },
    { step: "build" },
  );
}

// Keep the final, signed request headers of every call (the deserialize step runs last).
export function recordRequests(client) {
  const sent = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.push({ ...args.request.headers });
      return next(args);
    },
    { step: "deserialize", name: "cslRecordRequest" },
  );
  return sent;
}

export function scopeService(headers) {
  const m = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(headers.authorization || "");
  return m && m[1];
}

export function arnPrefix(kind, service = env.service, region = env.region, account = env.account) {
  return `arn:aws:${service}:${region}:${account}:${kind}/`;
}

export function uniqueName(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

// The error a promise rejects with; fails when it resolves.
export async function rejection(promise) {
  try {
    const value = await promise;
    throw new assert.AssertionError({ message: `expected an error, got ${JSON.stringify(value)}` });
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

// The HTTP status the model declares for an error (AWS JSON default 400).
export function statusOf(code) {
  return env.errorStatus[code] ?? 400;
}

export function harness() {
  const checks = [];
  const data = {};
  return {
    data,
    async check(name, fn) {
      try {
        await fn();
        checks.push({ name, ok: true });
      } catch (err) {
        checks.push({ name, ok: false, error: String((err && err.stack) || err) });
      }
    },
    finish() {
      process.stdout.write(JSON.stringify({ checks, data }) + "\n");
      process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    },
  };
}

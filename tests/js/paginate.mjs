// The JS SDK's own paginators (paginateListConnections / paginateListHosts) over
// more items than fit in one page. Run in a fresh account.
import { assert, connectionsClient, csc, harness } from "./lib.mjs";

const COUNT = 23;
const PAGE = 5;
const t = harness();
const client = connectionsClient();
const send = (Command, input) => client.send(new Command(input));

const expectedSizes = (n) => [...Array(Math.floor(n / PAGE)).fill(PAGE), ...(n % PAGE ? [n % PAGE] : [])];

async function pages(paginate, input, key) {
  const out = [];
  for await (const page of paginate({ client, pageSize: PAGE }, input)) {
    out.push(page[key]);
    if (out.length > COUNT) throw new Error("the paginator does not stop");
  }
  return out;
}

const connections = [];
const hosts = [];

await t.check("create", async () => {
  for (let i = 0; i < COUNT; i++) {
    const ProviderType = i % 3 === 0 ? "Bitbucket" : "GitHub";
    const name = `page-${String(i).padStart(2, "0")}`;
    const out = await send(csc.CreateConnectionCommand, { ConnectionName: name, ProviderType });
    connections.push({ arn: out.ConnectionArn, name, ProviderType });
    const host = await send(csc.CreateHostCommand, {
      Name: `host-${i}`,
      ProviderType: "GitLabSelfManaged",
      ProviderEndpoint: `https://gitlab-${i}.example.com`,
    });
    hosts.push(host.HostArn);
  }
});

await t.check("paginateListConnections", async () => {
  const got = await pages(csc.paginateListConnections, {}, "Connections");
  assert.deepEqual(got.map((p) => p.length), expectedSizes(COUNT));
  const arns = got.flat().map((c) => c.ConnectionArn);
  assert.equal(new Set(arns).size, COUNT, "no item twice");
  // Creation order, across pages.
  assert.deepEqual(arns, connections.map((c) => c.arn));
  t.data.connectionPages = got.map((p) => p.map((c) => c.ConnectionArn));
});

await t.check("paginateListConnections with a filter", async () => {
  const got = await pages(csc.paginateListConnections, { ProviderTypeFilter: "Bitbucket" }, "Connections");
  const wanted = connections.filter((c) => c.ProviderType === "Bitbucket").map((c) => c.arn);
  assert.deepEqual(got.map((p) => p.length), expectedSizes(wanted.length));
  assert.deepEqual(got.flat().map((c) => c.ConnectionArn), wanted);
});

await t.check("paginateListHosts", async () => {
  const got = await pages(csc.paginateListHosts, {}, "Hosts");
  assert.deepEqual(got.map((p) => p.length), expectedSizes(COUNT));
  assert.deepEqual(got.flat().map((h) => h.HostArn), hosts);
  t.data.hostPages = got.map((p) => p.map((h) => h.HostArn));
});

await t.check("MaxResults and NextToken by hand", async () => {
  const first = await send(csc.ListHostsCommand, { MaxResults: PAGE });
  assert.equal(first.Hosts.length, PAGE);
  assert.equal(typeof first.NextToken, "string");
  const again = await send(csc.ListHostsCommand, { MaxResults: PAGE, NextToken: first.NextToken });
  assert.deepEqual(again.Hosts.map((h) => h.HostArn), hosts.slice(PAGE, 2 * PAGE));
  const all = await send(csc.ListConnectionsCommand, { MaxResults: 100 });
  assert.equal(all.Connections.length, COUNT);
  assert.equal(all.NextToken, undefined);
});

t.data.connections = connections.map((c) => c.arn);
t.data.hosts = hosts;
t.finish();

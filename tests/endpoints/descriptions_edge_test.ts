// Endpoint descriptions refused at the edges the main suite leaves out: an
// empty caCerts file name, and headerTimeout given twice to haproxy:.

import assert from "node:assert/strict";
import {
  clientFromString,
  HAProxyServerEndpoint,
  serverFromString,
} from "../../mod.ts";

Deno.test("clientFromString: an empty caCerts file name is refused", () => {
  assert.throws(
    () => clientFromString("tls:host=example.com:port=443:caCerts="),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message ===
        "Missing caCerts file in endpoint description: (missing) in tls:host=example.com:port=443:caCerts=",
  );
});

Deno.test("serverFromString: headerTimeout given twice to haproxy: is refused", () => {
  const text =
    "haproxy:tcp:0:headerTimeout=100:interface=127.0.0.1:headerTimeout=200";
  assert.throws(
    () => serverFromString(text),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message ===
        `Duplicate option in endpoint description: headerTimeout in ${text}`,
  );
  // Once is fine, wherever it stands among the inner options.
  const endpoint = serverFromString(
    "haproxy:tcp:0:headerTimeout=100:interface=127.0.0.1",
  );
  assert.ok(endpoint instanceof HAProxyServerEndpoint);
  assert.equal(endpoint.options.headerTimeout, 100);
});
